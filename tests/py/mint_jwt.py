"""Mints a sign-in token the way a site embedding linechat would, with
PyJWT: mint_jwt.py SECRET_FILE CLAIMS_JSON [ALGORITHM] prints the token.
`exp` in the claims may be given as an offset from now ("+60")."""
import json
import sys
import time

import jwt

secret = open(sys.argv[1], "rb").read().rstrip(b"\r\n")
claims = json.loads(sys.argv[2])
for key in ("exp", "nbf"):
    if isinstance(claims.get(key), str) and claims[key][:1] in "+-":
        claims[key] = int(time.time()) + int(claims[key])
algorithm = sys.argv[3] if len(sys.argv) > 3 else "HS256"
print(jwt.encode(claims, secret if algorithm != "none" else None, algorithm=algorithm))
