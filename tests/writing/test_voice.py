

def test_first_person_adjectives_agree_with_the_employees_gender():
    from assistant.writing.voice import VoiceProfile

    her, him = VoiceProfile(lang="fr", gender_fr="f"), VoiceProfile(lang="fr", gender_fr="m")
    text = "Ravi de partager ceci. Je suis vraiment fier de l'équipe. Le client est ravi."
    assert her.agree_text(text) == "Ravie de partager ceci. Je suis vraiment fière de l'équipe. Le client est ravi."
    assert him.agree_text(her.agree_text(text)) == text
    assert VoiceProfile(lang="fr").agree_text("Je suis ravie.") == "Je suis ravie."  # unknown gender: left alone
    assert VoiceProfile(lang="en", gender_fr="f").agree_text("Ravi is a name.") == "Ravi is a name."
