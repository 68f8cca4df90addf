"""The tool's RSA signing keys: mode 600, rotated with the old kid still published."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK

from packager.diagnostics import UsageError

ACTIVE = "active"  # file naming the kid that signs; every *.public.pem stays in the JWKS


@dataclass(frozen=True)
class SigningKey:
    """The private key the tool signs with, and its kid."""

    kid: str
    private_pem: str
    public_pem: str


def _write_private(path: Path, data: bytes) -> None:
    # Created 600 from the start: never world-readable, not even for a moment.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(path, 0o600)


def generate_key(keys_dir: str | os.PathLike[str], *, rotate: bool = False,
                 bits: int = 2048) -> SigningKey:
    """Make the key pair if there is none (or a new active one when rotating); returns it."""
    folder = Path(keys_dir)
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    if (folder / ACTIVE).exists() and not rotate:
        return load_active(folder)
    private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private_pem = private.private_bytes(serialization.Encoding.PEM,
                                        serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption())
    public_pem = private.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
    kid = JWK.from_pem(public_pem).thumbprint()
    _write_private(folder / f"{kid}.private.pem", private_pem)
    (folder / f"{kid}.public.pem").write_bytes(public_pem)
    _write_private(folder / (ACTIVE + ".tmp"), kid.encode())
    os.replace(folder / (ACTIVE + ".tmp"), folder / ACTIVE)
    return SigningKey(kid, private_pem.decode(), public_pem.decode())


def retire_key(keys_dir: str | os.PathLike[str], kid: str) -> None:
    """Stop publishing an old kid (once platforms have refreshed their key cache)."""
    folder = Path(keys_dir)
    if (folder / ACTIVE).read_text().strip() == kid:
        raise UsageError(f"key {kid} is the active key; rotate first")
    for suffix in (".private.pem", ".public.pem"):
        (folder / f"{kid}{suffix}").unlink(missing_ok=True)


def load_active(keys_dir: str | os.PathLike[str]) -> SigningKey:
    """The active signing key; a clear usage error when `packager lti keys` was not run."""
    folder = Path(keys_dir)
    try:
        kid = (folder / ACTIVE).read_text().strip()
        private_pem = (folder / f"{kid}.private.pem").read_text()
        public_pem = (folder / f"{kid}.public.pem").read_text()
    except FileNotFoundError as exc:
        raise UsageError(f"no tool key in {folder}: run `packager lti keys --dir {folder}`"
                         ) from exc
    return SigningKey(kid, private_pem, public_pem)


def jwks(keys_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """Every published public key (active and not yet retired) as a JWKS."""
    keys = []
    for path in sorted(Path(keys_dir).glob("*.public.pem")):
        jwk = json.loads(JWK.from_pem(path.read_bytes()).export_public())
        jwk.update(kid=path.name.removesuffix(".public.pem"), alg="RS256", use="sig")
        keys.append(jwk)
    return {"keys": keys}
