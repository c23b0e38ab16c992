from django.core.management.base import BaseCommand

from kechuang.core.reference import load_reference


class Command(BaseCommand):
    help = "载入行政区划（GB/T 2260）与国民经济行业分类（GB/T 4754-2017）代码；可重复执行"

    def add_arguments(self, parser):
        parser.add_argument("--regions", help="行政区划 JSON 文件（默认：随项目提供的列表）")
        parser.add_argument(
            "--industries", help="行业分类 .jsonl 或 .json 文件（默认：../shared 中的完整列表，否则随项目提供的子集）"
        )

    def handle(self, *args, regions=None, industries=None, **options):
        counts = load_reference(regions, industries)
        self.stdout.write(f"已载入行政区划 {counts['regions']} 条，行业分类 {counts['industries']} 条")
