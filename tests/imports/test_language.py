from assistant import language


def test_detects_french_and_english():
    assert language.detect("Nous recrutons une ingénieure données pour notre équipe de Lyon.") == "fr"
    assert language.detect("We are hiring a data engineer for our Lyon team.") == "en"


def test_is_deterministic():
    text = "Data mesh : retour d'expérience"
    assert len({language.detect(text) for _ in range(5)}) == 1


def test_other_languages_are_kept_and_flagged():
    lang = language.detect("Wir suchen eine Datenanalystin für unser Team in Berlin und freuen uns auf Sie.")
    assert lang == "de"
    assert not language.is_supported(lang)


def test_empty_text_is_undetermined():
    assert language.detect("") == "und"
    assert language.detect("1234 !!!") == "und"


def test_normalise_names():
    assert language.normalise("Français") == "fr"
    assert language.normalise("EN") == "en"
    assert language.normalise(None) is None
