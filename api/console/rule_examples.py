"""An example rule of each kind, to start the console's rule editor from (YAML, as in configs/rules/)."""

from __future__ import annotations

EXAMPLES = {
    "watch": """type: watch
id: theo-doi-cau-hoa-an
name: Theo dõi cầu Hóa An
description: Mọi bài nhắc đến cầu Hóa An.
query: '"cầu Hóa An" OR "cau Hoa An"'
group_window: 6h
severity: medium
""",
    "threshold": """type: threshold
id: nhieu-bai-ket-xe
name: Nhiều bài về kẹt xe
description: Từ 5 bài về kẹt xe trong 6 giờ.
query: '"kẹt xe" OR "ùn tắc"'
window: 6h
min_count: 5
severity: medium
""",
    "spike": """type: spike
id: tieu-cuc-tang-dot-bien
name: Bài tiêu cực tăng đột biến
sentiments: [negative]
window: 6h
factor: 3
min_count: 10
severity: high
""",
    "negative_share": """type: negative_share
id: du-luan-tieu-cuc-giao-thong
name: Dư luận tiêu cực về giao thông
query: '"giao thông" OR "kẹt xe"'
window: 6h
min_share: 0.5
min_count: 8
severity: high
""",
    "misinformation": """type: misinformation
id: tin-sai-muc-cao
name: Thông tin sai lệch mức cao
threshold: 0.8
severity: high
""",
    "trending_story": """type: trending_story
id: cau-chuyen-lan-nhanh
name: Câu chuyện lan nhanh
window: 6h
min_new_members: 5
min_sources: 2
severity: medium
""",
    "source_silence": """type: source_silence
id: nguon-ngung-dang
name: Nguồn ngừng đăng bài
gap: 1d
severity: low
""",
}
