"""People's accounts on the real SQLite database: argon2id hashes and rehashing, the password policy,
lock-out and its window, sessions' expiry and idle timeout, and what a password change or a disabled
account ends. Time comes from an injected clock, never the wall clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher

from monitor.access.audit import Actor, AuditAction, AuditObject
from monitor.access.keys import Role
from monitor.access.users import LockedOutError, User, UserStore
from monitor.config.settings import ConsoleSettings
from monitor.context import Monitor
from monitor.errors import AuthError, InvalidInputError
from tests.factories import at
from tests.monitor.access.people import PASSWORD, Clock, people_on

START = at("2026-11-03 08:00")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def users(monitor: Monitor, clock: Clock) -> UserStore:
    return people_on(monitor, clock)


def _stored_hash(monitor: Monitor, user: User) -> str:
    row = monitor.db.connection().execute("SELECT password_hash FROM users WHERE user_id = ?", (user.user_id,))
    return str(row.fetchone()[0])


def test_passwords_are_stored_as_argon2id_hashes_only(monitor: Monitor, users: UserStore) -> None:
    user = users.create("lan.nguyen", Role.OFFICER, PASSWORD, display_name="Nguyễn Thị Lan")
    stored = _stored_hash(monitor, user)
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert users.sign_in("Lan.Nguyen", PASSWORD).user_id == user.user_id  # names match in any case
    with pytest.raises(AuthError, match="Sai tên đăng nhập hoặc mật khẩu"):
        users.sign_in("lan.nguyen", PASSWORD + "x")
    with pytest.raises(AuthError, match="Sai tên đăng nhập hoặc mật khẩu"):
        users.sign_in("khong.co", PASSWORD)


def test_a_hash_made_with_other_parameters_is_replaced_at_the_next_sign_in(monitor: Monitor, clock: Clock) -> None:
    old = people_on(monitor, clock, hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    user = old.create("hoa.tran", Role.OFFICER, PASSWORD)
    assert ",t=1," in _stored_hash(monitor, user)
    stronger = people_on(monitor, clock, hasher=PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1))
    stronger.sign_in("hoa.tran", PASSWORD)
    rehashed = _stored_hash(monitor, user)
    assert rehashed.startswith("$argon2id$v=19$m=2048,t=2,p=1$")
    stronger.sign_in("hoa.tran", PASSWORD)  # the new hash verifies, and is kept as it is
    assert _stored_hash(monitor, user) == rehashed
    strongest = people_on(monitor, clock, hasher=PasswordHasher(time_cost=3, memory_cost=2048, parallelism=1))
    with pytest.raises(AuthError):  # a wrong password never rehashes
        strongest.sign_in("hoa.tran", "sai mật khẩu rồi nhé")
    assert _stored_hash(monitor, user) == rehashed


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("ngắn quá", "Mật khẩu quá ngắn: cần ít nhất 12 ký tự (hiện có 8)."),
        ("aaaaaaaaaaaaaaaa", "Mật khẩu quá đơn giản: cần ít nhất 4 ký tự khác nhau."),
        (" Đồng Nai mùa mưa", "Mật khẩu không được bắt đầu hoặc kết thúc bằng dấu cách."),
        ("minh.le-Biên Hòa", "Mật khẩu không được chứa tên đăng nhập."),
    ],
)
def test_the_password_policy_explains_in_vietnamese(users: UserStore, password: str, message: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        users.create("minh.le", Role.OFFICER, password)
    assert refused.value.message == message
    assert refused.value.parameter == "password"
    assert users.count() == 0


def test_liaison_accounts_follow_the_keys_agency_rule(users: UserStore) -> None:
    with pytest.raises(InvalidInputError, match="only liaison accounts belong to an agency, not officer accounts"):
        users.create("cong.an", Role.OFFICER, PASSWORD, agency="police")
    with pytest.raises(InvalidInputError, match="a liaison account needs its agency"):
        users.create("cong.an", Role.LIAISON, PASSWORD)
    liaison = users.create("cong.an", Role.LIAISON, PASSWORD, agency="police")
    assert liaison.principal().agency == "police"
    assert liaison.principal().role is Role.LIAISON


def test_lock_out_after_repeated_failures_lifts_when_they_leave_the_window(monitor: Monitor, clock: Clock) -> None:
    settings = ConsoleSettings(lockout_attempts=3, lockout_window_minutes=10)
    users = people_on(monitor, clock, settings)
    users.create("thu.pham", Role.OFFICER, PASSWORD)
    other = users.create("an.vo", Role.OFFICER, PASSWORD)
    for minute in (0, 4):
        with pytest.raises(AuthError, match="Sai tên"):
            users.sign_in("thu.pham", "sai mật khẩu rồi")
        clock.advance(minutes=4 if minute == 0 else 2)
    with pytest.raises(LockedOutError) as locked:  # the third failure within 10 minutes locks
        users.sign_in("thu.pham", "sai mật khẩu rồi")
    assert locked.value.until == START + timedelta(minutes=10)  # when the first failure leaves the window
    with pytest.raises(LockedOutError):  # while locked, even the right password is refused
        users.sign_in("thu.pham", PASSWORD)
    assert users.sign_in("an.vo", PASSWORD) == other  # per account: others sign in
    clock.advance(minutes=4)  # the first failure (at 08:00) leaves the window at 08:10
    assert users.locked_until(users.find("thu.pham").user_id) is None
    assert users.sign_in("thu.pham", PASSWORD).username == "thu.pham"
    for _ in range(2):  # a success forgets the failures: two more do not lock
        with pytest.raises(AuthError, match="Sai tên"):
            users.sign_in("thu.pham", "sai mật khẩu rồi")


def test_a_session_ends_after_its_lifetime_even_when_used(monitor: Monitor, clock: Clock) -> None:
    users = people_on(monitor, clock, ConsoleSettings(session_hours=2, idle_minutes=30))
    user = users.create("lan.nguyen", Role.OFFICER, PASSWORD)
    session, token = users.sessions.open(user.user_id)
    assert session.expires_at == START + timedelta(hours=2)
    for _ in range(4):  # used every 25 minutes: never idle, and still alive at 09:40
        clock.advance(minutes=25)
        assert users.sessions.resume(token).session_id == session.session_id
    clock.advance(minutes=25)  # 10:05, past 10:00 though used 25 minutes ago
    with pytest.raises(AuthError, match="Phiên đăng nhập đã hết hạn"):
        users.sessions.resume(token)
    clock.advance(minutes=-24)  # back at 09:41, ended for good: it was revoked when found expired
    with pytest.raises(AuthError):
        users.sessions.resume(token)


def test_a_session_unused_for_the_idle_timeout_ends(monitor: Monitor, clock: Clock) -> None:
    users = people_on(monitor, clock, ConsoleSettings(session_hours=12, idle_minutes=30))
    user = users.create("lan.nguyen", Role.OFFICER, PASSWORD)
    _, token = users.sessions.open(user.user_id)
    clock.advance(minutes=29, seconds=59)
    users.sessions.resume(token)  # used just in time: the idle clock starts again
    clock.advance(minutes=29, seconds=59)
    users.sessions.resume(token)
    clock.advance(minutes=30)
    with pytest.raises(AuthError, match="Phiên đăng nhập đã hết hạn"):
        users.sessions.resume(token)


def test_only_the_hash_of_a_session_token_is_stored(monitor: Monitor, users: UserStore) -> None:
    user = users.create("lan.nguyen", Role.OFFICER, PASSWORD)
    _, token = users.sessions.open(user.user_id)
    rows = monitor.db.connection().execute("SELECT * FROM user_sessions").fetchall()
    assert len(rows) == 1
    assert token not in [str(value) for value in rows[0]]
    with pytest.raises(AuthError):
        users.sessions.resume(token[:-1] + ("A" if token[-1] != "A" else "B"))


def test_a_password_change_ends_every_other_session(users: UserStore) -> None:
    user = users.create("lan.nguyen", Role.OFFICER, PASSWORD)
    here, here_token = users.sessions.open(user.user_id)
    _, phone_token = users.sessions.open(user.user_id)
    with pytest.raises(InvalidInputError, match="Mật khẩu hiện tại không đúng"):
        users.change_password(user.user_id, "không phải mật khẩu", "Biên Hòa nắng đẹp 2026", here.session_id)
    users.sessions.resume(phone_token)  # a refused change ends nothing
    users.change_password(user.user_id, PASSWORD, "Biên Hòa nắng đẹp 2026", here.session_id)
    assert users.sessions.resume(here_token).session_id == here.session_id
    with pytest.raises(AuthError):
        users.sessions.resume(phone_token)
    with pytest.raises(AuthError):
        users.sign_in("lan.nguyen", PASSWORD)
    assert users.sign_in("lan.nguyen", "Biên Hòa nắng đẹp 2026").user_id == user.user_id


def test_disabling_an_account_ends_its_sessions_and_sign_in(users: UserStore) -> None:
    user = users.create("lan.nguyen", Role.OFFICER, PASSWORD)
    _, token = users.sessions.open(user.user_id)
    users.disable("lan.nguyen")
    with pytest.raises(AuthError):
        users.sessions.resume(token)
    with pytest.raises(AuthError, match="Sai tên đăng nhập hoặc mật khẩu"):
        users.sign_in("lan.nguyen", PASSWORD)
    with pytest.raises(AuthError, match="vô hiệu hoá"):
        users.active_user(user.user_id)


def test_account_changes_are_audited_without_passwords(monitor: Monitor, clock: Clock) -> None:
    users = people_on(monitor, clock, ConsoleSettings(lockout_attempts=2))
    admin = Actor(name="Quản trị", key_id="k-1")
    user = users.create("lan.nguyen", Role.OFFICER, PASSWORD, display_name="Nguyễn Thị Lan", by=admin)
    users.change_password(user.user_id, PASSWORD, "Biên Hòa nắng đẹp 2026", keep_session=None)
    for _ in range(2):
        with pytest.raises(AuthError):
            users.sign_in("lan.nguyen", "sai mật khẩu rồi")
    users.reset_password("lan.nguyen", "Long Khánh chôm chôm 2026", by=admin)
    users.disable("lan.nguyen", by=admin)
    trail = monitor.alerts.audit.trail(AuditObject.USER, user.user_id)
    assert [(e.action, e.actor, e.actor_id) for e in trail] == [
        (AuditAction.USER_CREATE, "Quản trị", "k-1"),
        (AuditAction.PASSWORD_CHANGE, "Nguyễn Thị Lan", f"user:{user.user_id}"),  # the person, by name
        (AuditAction.USER_LOCK, "system", None),
        (AuditAction.PASSWORD_RESET, "Quản trị", "k-1"),
        (AuditAction.USER_DISABLE, "Quản trị", "k-1"),
    ]
    assert trail[0].detail == {"username": "lan.nguyen", "role": "officer", "agency": None}
    written = " ".join(str(e.detail) for e in trail)
    for secret in (PASSWORD, "Biên Hòa nắng đẹp 2026", "Long Khánh chôm chôm 2026", "argon2"):
        assert secret not in written
