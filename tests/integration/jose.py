"""Keys and tokens for the JWT authorizer tests: keys made by `openssl
genpkey`, JWKs written from their public parts, tokens signed by `openssl
dgst -sign` (the standard library has no RSA or ECDSA)."""

import base64
import json
import subprocess


def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _openssl(args, input=None):
    p = subprocess.run(["openssl"] + args, input=input, capture_output=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError("openssl %s: %s" % (" ".join(args), p.stderr.decode()))
    return p.stdout


def _der_ints(der):
    """r and s of a DER ECDSA-Sig-Value."""
    def length(i):
        n = der[i]
        if n < 0x80:
            return n, i + 1
        k = n & 0x7f
        return int.from_bytes(der[i + 1:i + 1 + k], "big"), i + 1 + k

    assert der[0] == 0x30
    _, i = length(1)
    out = []
    for _ in range(2):
        assert der[i] == 0x02
        n, i = length(i + 1)
        out.append(int.from_bytes(der[i:i + n], "big"))
        i += n
    return out


class Key:
    """An RSA (kind "rsa") or P-256 (kind "ec") key in `dir`, named kid; its
    JWK names `alg` when given."""

    def __init__(self, dir_, kid, kind="rsa", alg=None):
        self.kid, self.kind, self.alg = kid, kind, alg
        self.pem = "%s/%s.pem" % (dir_, kid)
        if kind == "rsa":
            _openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                      "-out", self.pem])
        else:
            _openssl(["genpkey", "-algorithm", "EC", "-pkeyopt",
                      "ec_paramgen_curve:P-256", "-out", self.pem])

    def jwk(self):
        if self.kind == "rsa":
            mod = _openssl(["rsa", "-in", self.pem, "-noout", "-modulus"]).decode()
            n = bytes.fromhex(mod.strip().split("=", 1)[1])
            k = {"kty": "RSA", "kid": self.kid, "use": "sig",
                 "n": b64url(n), "e": b64url(b"\x01\x00\x01")}
        else:
            der = _openssl(["pkey", "-in", self.pem, "-pubout", "-outform", "DER"])
            point = der[-65:]  # 04 || x || y
            k = {"kty": "EC", "kid": self.kid, "crv": "P-256",
                 "x": b64url(point[1:33]), "y": b64url(point[33:])}
        if self.alg:
            k["alg"] = self.alg
        return k

    def token(self, claims, alg=None, kid=None, header=None):
        alg = alg or ("RS256" if self.kind == "rsa" else "ES256")
        hdr = header or {"alg": alg, "typ": "JWT", "kid": kid or self.kid}
        signing_input = b64url(json.dumps(hdr)) + "." + b64url(json.dumps(claims))
        args = ["dgst", "-sha" + alg[2:], "-sign", self.pem]
        if alg.startswith("PS"):
            args += ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest"]
        sig = _openssl(args, input=signing_input.encode())
        if alg.startswith("ES"):
            r, s = _der_ints(sig)
            sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return signing_input + "." + b64url(sig)


def jwks(*keys):
    return json.dumps({"keys": [k.jwk() for k in keys]})
