"""The Streamlit app, driven headless with AppTest (fake embedder, temporary home)."""

from streamlit.testing.v1 import AppTest

from conftest import ROOT


def _app():
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)


def test_feed_shows_recommendations_with_reasons(demo_store):
    at = _app().run()
    assert not at.exception
    at.selectbox(key="feed_employee").set_value("camille.durand@nordlys-energie.example").run()
    assert not at.exception
    texts = " ".join(m.value for m in at.markdown)
    assert "**" in texts  # item titles
    reasons = [m.value for m in at.markdown if "votre" in m.value or "your" in m.value]
    assert reasons, "each item shows why it was recommended"


def test_feed_with_empty_store_says_what_to_do(store):
    at = _app().run()
    assert not at.exception
    assert "porte-voix demo" in at.info[0].value


def test_employees_outside_the_program_are_not_listed(demo_store):
    at = _app().run()
    options = at.selectbox(key="feed_employee").options
    assert not any("Pierre Lemoine" in o for o in options)
