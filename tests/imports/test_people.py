import json

import pytest

from tests.conftest import DEMO, write

from assistant.imports.people import LIMITS, apply_recorded_opt_ins, get_person, import_people, posts_of, set_consent

pytestmark = pytest.mark.store_backends  # each test on the DuckDB file and on PostgreSQL

CONSENT_OFF = (False, False, False)


def consents(person):
    return (person["consent_program"], person["consent_leaderboard"], person["consent_interviews"])

PERSON = {"email": "Alice.Martin@Example.com", "name": "Alice Martin", "role": "Data engineer", "team": "Data",
          "languages": ["fr", "en"], "expertise": "Pipelines de données temps réel.", "skills": ["kafka", "sql"],
          "posts": ["Ravie de présenter notre migration lakehouse au meetup de Lyon !"], "network_size": 850,
          "consent_program": True, "consent_leaderboard": False, "consent_interviews": True, "gender_fr": "f",
          "badge": "B-12"}


def test_jsonl_and_csv_import_with_documented_fields(store, tmp_path):
    write(tmp_path / "p.jsonl", json.dumps(PERSON) + "\n")
    write(tmp_path / "p.csv", "email,name,languages,skills,consent_program,consent_interviews,gender_fr,network_size\n"
          "bob@example.com,Bob Stone,\"en, fr\",\"python; ml\",oui,no,M,1 200\n")
    report = import_people(store, [tmp_path / "p.jsonl", tmp_path / "p.csv"])
    assert report.counts == {"added": 2, "updated": 0, "unchanged": 0, "rejected": 0}
    alice = get_person(store, "alice.martin@example.com")
    assert alice["languages"] == ["fr", "en"] and alice["skills"] == ["kafka", "sql"] and alice["gender_fr"] == "f"
    assert consents(alice) == CONSENT_OFF  # the file says yes, but consent is the employee's to give
    assert json.loads(alice["extra"]) == {"badge": "B-12"}
    assert posts_of(store, "alice.martin@example.com")[0]["language"] == "fr"
    bob = get_person(store, "BOB@example.com")
    assert bob["languages"] == ["en", "fr"] and bob["skills"] == ["python", "ml"] and bob["network_size"] == 1200
    assert consents(bob) == CONSENT_OFF and bob["gender_fr"] == "m"
    assert len(report.notes) == 2 and all("ignored" in n and "consent_program" in n for n in report.notes)
    assert report.exit_code == 0


def test_reimport_is_idempotent_and_updates_keep_posts_and_consent(store, tmp_path):
    path = write(tmp_path / "p.jsonl", json.dumps(PERSON) + "\n")
    import_people(store, [path])
    assert import_people(store, [path]).counts["unchanged"] == 1
    set_consent(store, "alice.martin@example.com", consent_program=True, consent_interviews=True)  # she opts in
    set_consent(store, "alice.martin@example.com", consent_interviews=False)  # and out of interviews
    changed = dict(PERSON, role="Lead data engineer", posts=["A new post about Kafka in production at scale."],
                   consent_program=False, consent_leaderboard=True, consent_interviews=True)
    write(tmp_path / "p.jsonl", json.dumps(changed) + "\n")
    report = import_people(store, [path])
    assert report.counts["updated"] == 1
    alice = get_person(store, "alice.martin@example.com")
    assert alice["role"] == "Lead data engineer"
    assert consents(alice) == (True, False, False)  # an import never overrides the employee's choices
    assert len(posts_of(store, "alice.martin@example.com")) == 2  # old post kept, new one added
    assert store.value("SELECT count(*) FROM employees") == 1


def test_bad_people_rows_are_rejected_with_reasons(store, tmp_path):
    rows = [{"name": "No Email"}, {"email": "not-an-email", "name": "X"}, {"email": "x@example.com"},
            {"email": "y@example.com", "name": "Y", "gender_fr": "z"},
            {"email": "z@example.com", "name": "Z", "consent_program": "maybe"},
            {"email": "ok@example.com", "name": "Ok"}]
    write(tmp_path / "p.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n")
    report = import_people(store, [tmp_path / "p.jsonl"])
    text = "\n".join(report.problems)
    assert report.counts["added"] == 2 and report.counts["rejected"] == 4 and report.exit_code == 1
    for reason in ("missing email", "invalid or missing email", "missing name", "gender_fr must be"):
        assert reason in text
    assert consents(get_person(store, "z@example.com")) == CONSENT_OFF  # an unreadable consent is ignored too
    assert consents(get_person(store, "ok@example.com")) == CONSENT_OFF  # voluntary: nobody is enrolled by default


def test_demo_people_meet_the_brief(store):
    report = import_people(store, sorted(DEMO.glob("people.*")))
    assert report.counts["rejected"] == 0
    rows = store.rows("SELECT * FROM employees")
    assert len(rows) >= 20
    assert len({r["team"] for r in rows}) >= 5
    assert not any(r["consent_program"] or r["consent_leaderboard"] or r["consent_interviews"] for r in rows)
    assert get_person(store, "hugo.martin@nordlys-energie.example") is not None  # mixed case in the CSV
    assert store.value("SELECT count(DISTINCT email) FROM employee_posts") >= 10


def test_recorded_opt_ins_are_applied_only_on_request_and_only_to_stored_people(store):
    paths = sorted(DEMO.glob("people.*"))
    import_people(store, paths)
    changed = apply_recorded_opt_ins(store, paths)
    rows = store.rows("SELECT * FROM employees")
    assert changed == len(rows)
    assert any(r["consent_interviews"] for r in rows) and any(not r["consent_interviews"] for r in rows)
    store.execute("DELETE FROM employees WHERE email = ?", [rows[0]["email"]])
    assert apply_recorded_opt_ins(store, paths) == len(rows) - 1  # never creates anyone


def test_unclosed_quote_in_a_people_csv_is_reported_not_merged(store, tmp_path):
    write(tmp_path / "p.csv", "email,name,team,expertise\n"
          "ann@example.com,Ann,Data,SQL\n"
          'bob@example.com,"Bob Stone,Data,Kafka\n'
          "carol@example.com,Carol,Web,CSS\n"
          "dan@example.com,Dan,Ops,Linux\n")
    write(tmp_path / "q.csv", "email,name,team,expertise\n"
          'eve@example.com,Eve,Data,"Streaming and\n'
          "fay@example.com,Fay,Web,Design\n"
          'gus@example.com,Gus,Ops,Cloud"\n'
          "hal@example.com,Hal,Ops,Linux\n")
    report = import_people(store, [tmp_path / "p.csv", tmp_path / "q.csv"])
    stored = {r["email"]: r for r in store.rows("SELECT email, name, expertise FROM employees")}
    assert {"ann@example.com", "carol@example.com", "dan@example.com", "hal@example.com"} <= set(stored)
    assert all("\n" not in r["name"] and "@" not in (r["expertise"] or "") for r in stored.values())
    assert "bob@example.com" not in stored and "eve@example.com" not in stored
    text = "\n".join(report.problems)
    assert "p.csv:3-5: broken CSV" in text and "q.csv:2-4: eve@example.com: expertise runs over several lines" in text
    assert report.exit_code == 1


def test_duplicate_emails_in_one_import_are_reported(store, tmp_path):
    write(tmp_path / "a.jsonl", json.dumps({"email": "x@example.com", "name": "First"}) + "\n")
    write(tmp_path / "b.csv", "email,name\nX@example.com,Second\n")
    report = import_people(store, [tmp_path / "a.jsonl", tmp_path / "b.csv"])
    assert report.counts == {"added": 1, "updated": 0, "unchanged": 0, "rejected": 1}
    assert "duplicate email 'x@example.com'" in report.problems[0] and "a.jsonl:1" in report.problems[0]
    assert get_person(store, "x@example.com")["name"] == "First"


def test_people_fields_have_size_limits(store, tmp_path):
    rows = [{"email": "a" * 300 + "@example.com", "name": "Long"},
            {"email": "b@example.com", "name": "N" * (LIMITS["name"] + 1)},
            {"email": "c@example.com", "name": "C", "expertise": "e" * (LIMITS["expertise"] + 1)},
            {"email": "d@example.com", "name": "D", "posts": ["p" * (LIMITS["post"] + 1)]},
            {"email": "e@example.com", "name": "E", "skills": ["s"] * 500},
            {"email": "f@example.com", "name": "F", "network_size": 10**30},
            {"email": "g@example.com", "name": "G", "network_size": "inf"},
            {"email": "ok@example.com", "name": "Ok", "expertise": "e" * LIMITS["expertise"]}]
    write(tmp_path / "p.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n")
    report = import_people(store, [tmp_path / "p.jsonl"])
    assert report.counts["added"] == 1 and report.counts["rejected"] == 7
    text = "\n".join(report.problems)
    for reason in ("email too long", "name too long", "expertise too long", "post too long",
                   "skills has too many entries", "network_size must be between", "network_size must be a whole"):
        assert reason in text
    assert max(len(p) for p in report.problems) < 700
