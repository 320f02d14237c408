# SPDX-License-Identifier: Apache-2.0
"""Test certificates for the Atlassian stand-in, made with the openssl CLI."""

import os
import secrets
import subprocess


def make_certs(directory):
    """Create with the openssl CLI, in directory: a test CA (ca.pem), a
    server certificate for IP:127.0.0.1 and DNS:localhost signed by it
    (server.pem, server.key), an unrelated CA (wrong-ca.pem), and for the
    extra listeners a certificate for 127.0.0.1 signed by the unrelated CA
    (untrusted.pem) and one signed by the test CA for another host only
    (wrong-host.pem). Returns a dict of the paths."""
    os.makedirs(directory, exist_ok=True)
    p = {name: os.path.join(directory, name) for name in (
        "ca.pem", "ca.key", "wrong-ca.pem", "wrong-ca.key", "req.cnf")}
    with open(p["req.cnf"], "w") as f:
        f.write("[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = x\n")

    def run(*args):
        subprocess.run(["openssl", *args], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=60)

    def leaf(name, ca, san):
        key, csr, pem, ext = (os.path.join(directory, name + sfx)
                              for sfx in (".key", ".csr", ".pem", ".ext"))
        with open(ext, "w") as f:
            f.write("basicConstraints = critical,CA:FALSE\n"
                    "keyUsage = critical,digitalSignature,keyEncipherment\n"
                    "extendedKeyUsage = serverAuth\n"
                    "subjectAltName = %s\n" % san)
        run("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", key, "-out", csr, "-config", p["req.cnf"],
            "-subj", "/CN=" + san.split(":", 1)[1].split(",")[0])
        run("x509", "-req", "-in", csr, "-CA", p[ca + ".pem"], "-CAkey", p[ca + ".key"],
            "-set_serial", str(secrets.randbits(63)), "-days", "30",
            "-extfile", ext, "-out", pem)
        os.chmod(pem, 0o644)
        return pem, key

    for ca, name in (("ca", "Fake Atlassian Test CA"), ("wrong-ca", "Unrelated Test CA")):
        run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", p[ca + ".key"], "-out", p[ca + ".pem"], "-days", "30",
            "-config", p["req.cnf"], "-subj", "/CN=" + name,
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        os.chmod(p[ca + ".pem"], 0o644)
    cert, key = leaf("server", "ca", "IP:127.0.0.1,DNS:localhost")
    untrusted = leaf("untrusted", "wrong-ca", "IP:127.0.0.1,DNS:localhost")
    wrong_host = leaf("wrong-host", "ca", "DNS:wrong-host.example")
    return {"ca": p["ca.pem"], "wrong_ca": p["wrong-ca.pem"],
            "cert": cert, "key": key, "dir": directory,
            "untrusted": untrusted, "wrong_host": wrong_host}
