"""Run canaille 0.3.6 as a SCIM peer on 127.0.0.1, seeded from a JSON file; print its base URL.

Runs inside canaille's own virtualenv (tests/peers/canaille/.venv, see the Makefile's ``peers``
target): canaille 0.3.6 needs ``scim2-models<0.10`` while scim2-server needs a newer one.
Usage: ``serve.py SEED.json`` where the seed is ``{"token": T, "users": [{"user_name", "emails",
"given_name", "family_name"}], "groups": [{"display_name", "members": [user_name, ...]}]}``.
Prints one JSON line ``{"base_url": ..., "port": ...}`` once it listens, and stops when stdin
closes (the test process died or finished), so it never outlives its test.
"""

from __future__ import annotations

import datetime
import json
import sys
import threading
from pathlib import Path

from werkzeug.serving import make_server


def main() -> None:
    seed = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    from canaille import create_app
    from canaille.app import models
    from canaille.backends import Backend

    app = create_app(
        {
            "SECRET_KEY": "test-only-secret",
            "SERVER_NAME": None,
            "TESTING": True,
            "CANAILLE": {"DATABASE": "memory", "JAVASCRIPT": False},
            "CANAILLE_OIDC": {"ENABLE_OIDC": True},
            "CANAILLE_SCIM": {"ENABLE_SERVER": True},
        }
    )
    with app.app_context():
        backend = Backend.instance
        users = {}
        for u in seed["users"]:
            user = models.User(
                user_name=u["user_name"],
                given_name=u.get("given_name"),
                family_name=u.get("family_name"),
                emails=u.get("emails", []),
            )
            backend.save(user)
            users[u["user_name"]] = user
        for g in seed["groups"]:
            group = models.Group(
                display_name=g["display_name"], members=[users[m] for m in g["members"]]
            )
            backend.save(group)
        client = models.Client(
            client_id="scimaudit",
            client_name="scimaudit",
            client_secret="test-only-client-secret",
            redirect_uris=["http://127.0.0.1/cb"],
            grant_types=["client_credentials"],
            response_types=["code"],
            token_endpoint_auth_method="client_secret_basic",
            scope=["openid", "profile"],
            client_id_issued_at=datetime.datetime.now(datetime.UTC),
        )
        backend.save(client)
        token = models.Token(
            token_id="scimaudit-token",
            access_token=seed["token"],
            subject=None,
            audience=[client],
            client=client,
            refresh_token="scimaudit-refresh",
            scope=["openid", "profile"],
            issue_date=datetime.datetime.now(datetime.UTC),
            lifetime=24 * 3600,
        )
        backend.save(token)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    port = server.server_port
    print(json.dumps({"base_url": f"http://127.0.0.1:{port}/scim/v2", "port": port}), flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()  # until the parent closes our stdin
    server.shutdown()


if __name__ == "__main__":
    main()
