"""The CLI's language: one translation table, applied where the click command tree is built.

``RANDSUP_LANG=zh`` or ``en`` chooses; otherwise a Chinese locale (LC_ALL, LC_MESSAGES, LANG, or
the Windows user locale) gives Chinese. Help texts are keyed by command path and parameter name
(not by their English wording), so a command's English help can change without breaking its
Chinese one; a key missing here simply stays English. Library error messages keep their own
wording (English with the Chinese domain terms); the CLI's own words are translated.
"""

from __future__ import annotations

import locale
import os
from collections.abc import Mapping
from typing import Any

__all__ = ["HELP_ZH", "SHARED_ZH", "WORDS_ZH", "language", "localise", "word"]


def language(env: Mapping[str, str] | None = None) -> str:
    """"zh" or "en": RANDSUP_LANG if set, else the locale (Chinese → "zh")."""
    env = os.environ if env is None else env
    chosen = env.get("RANDSUP_LANG", "").strip().lower()
    if chosen in ("zh", "en"):
        return chosen
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if env.get(var):
            return "zh" if env[var].lower().startswith("zh") else "en"
    try:  # Windows has no LANG; its user locale reads like "Chinese (Simplified)_China" or "zh_CN"
        name = locale.getlocale()[0] or ""
    except ValueError:
        name = ""
    return "zh" if name.lower().startswith(("zh", "chinese")) else "en"


# The CLI's own words (not the library's messages).
WORDS_ZH: dict[str, str] = {
    "error": "错误",
    "interrupted": "已中断；未完成的步骤没有记录任何内容",
    "internal error": "randsup 内部错误",
    "bug": "这是程序缺陷。请附上所运行的命令和本条信息报告（设置 RANDSUP_DEBUG=1 可看到调用栈）。",
    "Arguments": "参数",
    "Options": "选项",
    "Commands": "命令",
    "[default: {}]": "[默认：{}]",
    "[required]": "[必填]",
    "Show this message and exit.": "显示本帮助后退出。",
}

# Help texts: "" is the program, "plan" a command, "results publish" a sub-command,
# "plan:out_dir" a parameter (by its Python name).
HELP_ZH: dict[str, str] = {
    "": "双随机、一公开：可核验的检查对象抽取、执法检查人员选派和抽查计划公示。",
    ":version": "显示版本号后退出。",
    "validate": "读取并检查一单两库：显示各表行数，或列出每个问题（文件、行、列）并以退出码 2 结束。",
    "validate:data": "数据文件夹（departments.csv、entities.csv 等；UTF-8 或 GB18030）或一个 .xlsx 工作簿。",
    "demo-data": "生成仿松江区的一单两库（CSV）、2027年第一季度抽查计划说明书和临时的 2027 年节假日文件。",
    "demo-data:out_dir": "存放演示数据的新文件夹。",
    "demo-data:entities": "生成的检查对象（市场主体）数量。",
    "demo-data:inspectors": "生成的执法检查人员数量。",
    "demo-data:seed": "任意非负整数；相同的种子生成相同的文件。",
    "plan": "随机抽取检查对象（第一随机），安排检查日期并随机选派检查人员（第二随机），写出计划文件夹（一公开）。"
            "\n\n检查记录台账（默认 DATA/randsup-ledger.sqlite，或 --ledger）提供本年度此前的计划，"
            "用于年度检查次数上限和轮换，并记录新计划。",
    "plan:data": "抽取所用的数据文件夹（一单两库）。",
    "plan:spec": "抽查计划说明书（TOML），例如 DATA/plan-2027Q1.toml。",
    "plan:source": "说明书所列一个随机源公布的数值，例如 \"02 05 12 20 25 31 08\"；每个随机源一个 --source，按说明书顺序。",
    "plan:out_dir": "存放计划文件夹的新文件夹。",
    "plan:salt": "说明书以 seed.salt_commitment 公布其 SHA-256 的秘密盐值。",
    "plan:ledger": "台账文件 [默认：有 --data 时为 DATA/randsup-ledger.sqlite，否则 $RANDSUP_LEDGER，"
                   "否则 ./randsup-ledger.sqlite]。",
    "plan:published_on": "公告的发布日期（落款日期），格式 YYYY-MM-DD；记入计划 [默认：说明书的 publication.date]。",
    "plan:contact": "公告上的联系方式和投诉举报渠道 [默认：说明书的 publication.contact]。",
    "plan:worklist_headers": "检查清单（visits.csv/.xlsx）表头语言：zh 或 en [默认：说明书所定，zh]。",
    "verify": "根据数据和种子重新计算计划：完全一致时退出码 0，否则逐项列出差异并以退出码 1 结束。",
    "verify:plan_dir": "randsup plan 写出的计划文件夹。",
    "verify:data": "抽取计划所用的数据文件夹。",
    "verify:salt": "计划公布了盐值承诺时，已公布的秘密盐值。",
    "recuse": "回避、重新随机选派：按随机号顺序由下一位符合条件的检查人员替换回避人员。",
    "recuse:plan": "计划文件夹。",
    "recuse:visit": "检查编号。",
    "recuse:inspector": "需要回避的检查人员。",
    "recuse:reason": "回避原因，记入台账。",
    "recuse:data": "制定计划所用的数据文件夹。",
    "recuse:actor": "作出决定的人（记入台账）。",
    "ledger": "检查记录台账（哈希链）。",
    "ledger verify": "检查哈希链：完好时退出码 0，否则列出每条被修改、删除或调换顺序的记录并以退出码 1 结束。",
    "results": "抽查结果：录入、查看待公示、公示。",
    "results record": "把抽查结果录入台账，并计算每项结果 20 个工作日的公示期限。重复录入同一行不会重复记录，"
                      "修改过的行记为更正。",
    "results record:results_file": "CSV 或 XLSX，例如填写后的计划文件夹 results-templates/<部门编码>.xlsx："
                                   "检查编号、检查部门（名称或编码）、检查结果、结果细类、检查日期、备注。",
    "results record:plan": "计划文件夹。",
    "results publish": "写出抽查结果公告（Markdown、HTML、JSON）和公示系统格式的结果表，并记入台账。",
    "results publish:plan": "计划文件夹。",
    "results publish:out_dir": "存放抽查结果公告的新文件夹。",
    "results publish:salt": "秘密盐值，此时公布。",
    "results publish:department": "只公示该部门自上次公示以来新录入的结果（谁检查、谁录入、谁公开）；部门编码或名称。",
    "results publish:all_results": "再次公示全部已录入的结果，而不只是新结果（例如 randsup reveal 之后，使公告显示种子）。",
    "results due": "列出已录入但尚未公示的结果：先列逾期的，再列未到期的。",
    "results due:on": "以该日期（YYYY-MM-DD）判断 [默认：今天]。",
    "convert": "转换一单两库：数据文件夹与单个 XLSX 工作簿互相转换（先完整检查，再写出）。",
    "convert:data": "数据文件夹或 .xlsx 工作簿。",
    "convert:to": "目标格式：xlsx（一个工作簿，每表一个工作表）或 csv（每表一个 CSV 文件的文件夹）。",
    "convert:target": "新的输出文件（xlsx）或文件夹（csv）。",
    "bench": "基准测试：抽取和分组的公平性，与现行做法比较。",
}
# Options several commands share, used where a command has no entry of its own.
SHARED_ZH: dict[str, str] = {
    "ledger": HELP_ZH["plan:ledger"],
    "data": "使用其台账的数据文件夹。",
}


def word(key: str, lang: str) -> str:
    """One of the CLI's own words in ``lang``."""
    return WORDS_ZH.get(key, key) if lang == "zh" else key


def localise(command: Any, lang: str, path: str = "") -> Any:
    """Put the help texts of ``command`` and every sub-command into ``lang`` (in place)."""
    if lang != "zh":
        return command
    if path == "":
        import typer.rich_utils as ru

        ru.ARGUMENTS_PANEL_TITLE = WORDS_ZH["Arguments"]
        ru.OPTIONS_PANEL_TITLE = WORDS_ZH["Options"]
        ru.COMMANDS_PANEL_TITLE = WORDS_ZH["Commands"]
        ru.DEFAULT_STRING = WORDS_ZH["[default: {}]"]
        ru.REQUIRED_LONG_STRING = WORDS_ZH["[required]"]
    original = command.get_help_option

    def help_option(ctx: Any, _original: Any = original) -> Any:
        option = _original(ctx)
        if option is not None:
            option.help = WORDS_ZH["Show this message and exit."]
        return option

    command.get_help_option = help_option
    if path in HELP_ZH:
        command.help = HELP_ZH[path]
        command.short_help = None
    for param in command.params:
        key = f"{path}:{param.name}"
        text = HELP_ZH.get(key) or SHARED_ZH.get(param.name or "")
        if text is not None and hasattr(param, "help"):
            param.help = text
    subcommands = getattr(command, "commands", None)  # a group (typer's own click has no click.Group)
    if isinstance(subcommands, dict):
        for name, sub in subcommands.items():
            localise(sub, lang, f"{path} {name}".strip())
    return command
