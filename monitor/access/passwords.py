"""People's passwords: argon2id hashes (argon2-cffi) and the minimum policy, with messages in Vietnamese.

API keys are long random tokens and a fast hash suits them (:mod:`monitor.access.keys`); passwords are
chosen by people and guessable, so they get a memory-hard hash. When the hashing parameters change (a
newer argon2-cffi default, or :data:`DEFAULT_HASHER` tuned), the next successful sign-in rehashes.
"""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from monitor.errors import InvalidInputError

# argon2-cffi's defaults (RFC 9106's second recommended choice: 64 MiB, 3 passes), argon2id.
DEFAULT_HASHER = PasswordHasher(type=Type.ID)
# A password longer than this is refused before hashing: no one types it, and it would only cost CPU.
MAX_PASSWORD_LENGTH = 1024


@dataclass(frozen=True)
class Verified:
    """A password that matched, and the new hash to store when the old one used other parameters."""

    new_hash: str | None


class Passwords:
    """Hash, verify and check passwords with one hasher and one minimum length."""

    def __init__(self, min_length: int = 12, hasher: PasswordHasher = DEFAULT_HASHER) -> None:
        self.min_length = min_length
        self.hasher = hasher

    def check_policy(self, password: str, username: str = "") -> None:
        """Raise :class:`InvalidInputError` (parameter ``password``), in Vietnamese, if ``password`` is too weak."""
        if len(password) < self.min_length:
            raise InvalidInputError(
                f"Mật khẩu quá ngắn: cần ít nhất {self.min_length} ký tự (hiện có {len(password)}).",
                parameter="password",
            )
        if len(password) > MAX_PASSWORD_LENGTH:
            raise InvalidInputError(f"Mật khẩu quá dài: tối đa {MAX_PASSWORD_LENGTH} ký tự.", parameter="password")
        if password.strip() != password or not password.strip():
            raise InvalidInputError("Mật khẩu không được bắt đầu hoặc kết thúc bằng dấu cách.", parameter="password")
        if len(set(password)) < 4:
            raise InvalidInputError("Mật khẩu quá đơn giản: cần ít nhất 4 ký tự khác nhau.", parameter="password")
        if username and username.casefold() in password.casefold():
            raise InvalidInputError("Mật khẩu không được chứa tên đăng nhập.", parameter="password")

    def hash(self, password: str) -> str:
        """The argon2id hash of ``password`` (with its own random salt)."""
        return self.hasher.hash(password)

    def verify(self, stored_hash: str, password: str) -> Verified | None:
        """``Verified`` if ``password`` matches ``stored_hash`` (with a new hash if it needs one), else None."""
        if len(password) > MAX_PASSWORD_LENGTH:
            return None
        try:
            self.hasher.verify(stored_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        new_hash = self.hasher.hash(password) if self.hasher.check_needs_rehash(stored_hash) else None
        return Verified(new_hash=new_hash)
