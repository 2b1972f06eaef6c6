"""Porte-voix, the Streamlit app: navigation only; each page lives in assistant/ui/.

Who signs in decides which pages exist: nobody → the sign-in page; then one
section per role held. Each page checks the role again on the server
(``auth.require``), so a URL typed by hand opens nothing it should not.
"""

import streamlit as st

from assistant.ui import auth, resources

st.set_page_config(page_title="Porte-voix", page_icon="📣", layout="wide")

PAGES = {  # role → (section, [(file, title, icon, url path)])
    "employee": ("Moi · Me", [("assistant/ui/feed.py", "Mon fil · My feed", "📰", "feed"),
                              ("assistant/ui/profile.py", "Mon profil · My profile", "🙂", "profile")]),
    "marketing": ("Marketing", [("assistant/ui/marketing.py", "Authenticité · Authenticity", "📊", "authenticity")]),
    "content": ("Contenu · Content", [("assistant/ui/experts.py", "Experts", "🔎", "experts")]),
    "admin": ("Admin", [("assistant/ui/library.py", "Bibliothèque · Library", "📚", "library"),
                        ("assistant/ui/admin.py", "Personnes et règles · People and rules", "🛠️", "people")]),
}

resources.drafting_warm_up()  # the drafting model loads while people sign in and read their feed
account = auth.current_account()
if account is None:
    navigation = [st.Page("assistant/ui/signin.py", title="Connexion · Sign in", icon="🔑", url_path="signin")]
else:
    auth.sidebar(account)
    navigation = {section: [st.Page(path, title=title, icon=icon, url_path=url) for path, title, icon, url in pages]
                  for role, (section, pages) in PAGES.items() if account.has(role)}
st.navigation(navigation).run()
