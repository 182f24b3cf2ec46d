"""Language identification that works offline and recognises Vietnamese typed without diacritics.

py3langid ships its model inside the package. It handles accented Vietnamese well but often calls
unaccented Vietnamese something else, so when most words are common Vietnamese syllables we say "vi".
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from monitor.text import uncached_tokens

# Frequent Vietnamese syllables, folded (written for this project from general knowledge of the language).
COMMON_SYLLABLES = frozenset(
    """
a ai an anh ao ba bac bai ban bang bao bay be ben bi biet bo boi bon bua ca cac cach cai cam can cang cao
cap cau cha chan chi chia chieu chinh cho choi chu chua chuc chung co coi con cong cu cua cuoc cuoi cung da
dai dan dang danh dao dap dat dau day de den deu dem di dia dich dieu dinh do doc doi don dong du dua duc
dung duoc duong em gan gap gi gia giai gian giao gio gioi giu gui ha hai han hang hanh hay he hen het hieu
hinh ho hoa hoc hoi hom hon hop hu huong khac khach khi khien kho khoang khoe khong khu kiem kinh la lai lam
lan lang lau le len lien linh lo loai loi lon luc luon luong ma mai man mat may me moi mot mua muc muon
muoi nam nang nao nay ne neu ngay nghe nghi ngoai ngon nguoi nha nhan nhat nhau nhieu nhin nho nhu nhung
noi nong nuoc o oi on phai phan phat pho phong phu qua quan quy ra rat roi rong ruoi sach sang sao sau se
sinh so song su sua tai tam tan tang tao tat te tha thang thanh thay the them theo thi thich thiet tho thoi
thong thu thuc thuong tien tiep tim tin tinh to toan toi tom ton tra trai tren tri trieu trinh troi trong
truoc truong tu tuan tuoi tuy tung uong va van vao ve vi viec viet vo voi vu vua vui xa xay xe xem xin xong
xuat yeu ngap lut mua nha may duong pho thanh ho dong nai bien tin gap chia se nhiem doc nuoc
""".split()
)
VIETNAMESE_SHARE = 0.6
MIN_TOKENS = 3


@cache
def _identifier() -> Any:
    import py3langid  # noqa: PLC0415 - imported on first use: loading its model takes a moment

    return py3langid


class LanguageIdentifier:
    def identify(self, text: str) -> str:
        # Uncached: a text is identified once, and through the shared cache this also computed its
        # exact-accent tokens and kept a whole document's tokens in every worker process for nothing.
        words = uncached_tokens(text)
        if len(words) >= MIN_TOKENS:
            alphabetic = [w for w in words if w.isalpha()]
            if alphabetic and sum(w in COMMON_SYLLABLES for w in alphabetic) / len(alphabetic) >= VIETNAMESE_SHARE:
                return "vi"
        if not any(ch.isalpha() for ch in text):
            return "und"
        language, _ = _identifier().classify(text)
        return str(language)

    def identify_batch(self, texts: Sequence[str]) -> list[str]:
        return [self.identify(text) for text in texts]
