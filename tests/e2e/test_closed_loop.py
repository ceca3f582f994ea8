"""The closed loop in `xiaoer shell` transcripts: every path a ticket can take, end to end."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_shell import DEMAND, audit, xiaoer

TAX = "出口退税三个月没到账，资金周转困难，希望税务部门帮忙协调"


def run(tmp_path: Path, lines: list[str]) -> str:
    result = xiaoer(
        "shell",
        "-d",
        f"sqlite+aiosqlite:///{tmp_path / 'loop.db'}",
        stdin="\n".join(lines) + "\n",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def in_order(out: str, *steps: str) -> None:
    position = 0
    for step in steps:
        found = out.find(step, position)
        assert found >= 0, f"missing or out of order: {step!r}\n{out}"
        position = found


def test_asking_for_information_threads_the_answer_back(tmp_path: Path) -> None:
    out = run(
        tmp_path,
        [
            DEMAND,
            "/as officer wang_lei",
            "/take 1",
            "/ask 1 请提供近三个月的银行流水和贷款合同",
            "/as enterprise xinyuan",
            "/status 1",
            "流水和合同已经发到您邮箱了",
            "/as officer wang_lei",
            "/status 1",
        ],
    )
    in_order(
        out,
        "需要您补充信息",
        "[待企业补充]",
        "已将您的补充信息添加到工单 #1",
        "📎 企业为工单 #1 补充信息：流水和合同",
        "[办理中]",
    )
    assert audit(tmp_path / "loop.db", 1)[-2:] == ["ask", "info"]


def test_return_redispatch_and_transfer(tmp_path: Path) -> None:
    out = run(
        tmp_path,
        [
            "/as enterprise haiyue",
            TAX,
            "/as officer guo_ping",
            "/take 1",
            "/return 1 该企业的问题主要是出口订单，不属于税务",
            "/as officer li_na",
            "/dispatch 1 commerce ye_fang",
            "/as officer ye_fang",
            "/take 1",
            "/transfer 1 finance_office 实际是融资问题",
            "/as officer lin_hui",
            "/mine",
        ],
    )
    in_order(
        out,
        "工单 #1 已退回",
        "↩️ 郭平 退回工单 #1",
        "工单 #1 已派往区商务局",
        "您已签收工单 #1",
        "工单 #1 已转办至区金融工作办公室",
        "🔀 转办工单 #1（原因：实际是融资问题）",
        "待办工单（1 件）",
    )
    assert audit(tmp_path / "loop.db", 1) == [
        "create",
        "dispatch",
        "take",
        "return",
        "dispatch",
        "take",
        "transfer",
    ]


def test_extension_approved_and_rejected(tmp_path: Path) -> None:
    out = run(
        tmp_path,
        [
            DEMAND,
            "我们的研发楼需要新增一条宽带专线，运营商说要排队两个月",
            "/as officer wang_lei",
            "/take 1",
            "/take 2",
            "/extend 1 5 需要银行总行审批",
            "/extend 2 10 运营商排期",
            "/extend 1 5 再来一次",
            "/as officer zheng_yu",
            "/approve 1",
            "/rejectext 2 时限足够，请按期办结",
            "/as enterprise xinyuan",
        ],
    )
    in_order(
        out,
        "已为工单 #1 申请延期 5 天",
        "当前状态为「延期审批中」",
        "⏳ 王磊 申请工单 #1 延期 5 天",
        "工单 #1 延期已批准",
        "工单 #2 延期申请被驳回：时限足够",
        "工单 #1 办理时限已延长至",
    )
    assert audit(tmp_path / "loop.db", 1)[-2:] == ["request_extension", "approve_extension"]
    assert audit(tmp_path / "loop.db", 2)[-2:] == ["request_extension", "reject_extension"]


def test_not_resolved_reopens_then_resolved_and_satisfied_closes(tmp_path: Path) -> None:
    out = run(
        tmp_path,
        [
            DEMAND,
            "/as officer wang_lei",
            "/take 1",
            "/resolve 1 已联系建行",
            "/as enterprise xinyuan",
            "3",
            "/as officer wang_lei",
            "/take 1",
            "/resolve 1 resolved 建行已放款200万元",
            "/as enterprise xinyuan",
            "1",
            "2",
            "/comment 1 希望以后流程更快",
        ],
    )
    in_order(
        out,
        "请问您的诉求是否已经解决",
        "已将工单 #1 退回 王磊 继续办理",
        "⚠️ 企业反馈工单 #1 未解决",
        "建行已放款200万元",
        "您对工单 #1 的办理是否满意",
        "感谢您的确认，工单 #1 已办结",
        "留言已记录",
    )
    assert audit(tmp_path / "loop.db", 1)[-8:] == [
        "start_survey",
        "answer_resolution",
        "take",
        "resolve",
        "start_survey",
        "answer_resolution",
        "answer_satisfaction",
        "comment",
    ]


def test_withdraw_and_merge_a_duplicate(tmp_path: Path) -> None:
    out = run(
        tmp_path,
        [
            DEMAND,
            "贷款的事情再补充一下，我们需要的是流动资金贷款200万",
            "2",
            "厂区门口的路灯坏了，晚上员工下班不安全",
            "/as officer wang_lei",
            "/take 1",
            "/take 2",
            "/merge 2 1",
            "/as enterprise xinyuan",
            "/withdraw 3 已经修好了",
            "/status",
        ],
    )
    in_order(
        out, "工单 #2 已作为重复工单合并到 #1", "已合并到 #1 一并办理", "工单 #3 已按您的要求撤回", "[已办结]"
    )
    assert audit(tmp_path / "loop.db", 2)[-1] == "merge"
    assert audit(tmp_path / "loop.db", 3)[-1] == "withdraw"


def test_a_repeated_demand_is_added_to_the_open_ticket(tmp_path: Path) -> None:
    out = run(tmp_path, [DEMAND, "贷款的事情再补充一下，我们需要的是流动资金贷款200万", "1", "/status"])
    in_order(
        out, "很像", "[1] 补充到工单 #1  [2] 新开工单", "已将您的补充信息添加到工单 #1", "您的诉求（1 件）"
    )
    assert audit(tmp_path / "loop.db", 1)[-1] == "info"


CLUSTER = [
    ("xinyuan", "园区今天又限电了，我们的生产线全停了，请协调供电局"),
    ("haiyue", "园区限电，仓库冷库停了，货要坏了，请帮忙协调供电"),
    ("lanjing", "园区又限电了，机房服务器停了，请协调供电局恢复"),
]


def test_three_enterprises_one_problem_one_answer(tmp_path: Path) -> None:
    lines = []
    for enterprise, text in CLUSTER:
        lines += [f"/as enterprise {enterprise}", text]
    lines += [
        "/as officer zheng_yu",
        "/cluster 1 2 3",
        "/replyall 1 已协调供电局，今晚8点前恢复园区供电",
        "/resolveall 1 园区供电已恢复，已要求供电局提前通知限电安排",
    ]
    lines += [line for enterprise, _ in CLUSTER for line in (f"/as enterprise {enterprise}", "/status")]
    out = run(tmp_path, lines)
    in_order(
        out,
        "近期有 3 家企业反映类似问题",
        "/cluster 1 2 3",
        "已将 #1, #2, #3 归入同类诉求 #1",
        "已向同类诉求 #1 的 3 家企业发送答复",
        "已对同类诉求 #1 的 3 张工单作出办结答复",
    )
    for number in (1, 2, 3):
        assert audit(tmp_path / "loop.db", number)[-4:] == ["take", "reply", "resolve", "start_survey"]
    assert out.count("💬") == 3  # each enterprise got the answer once (one of them in English)
    assert out.count("园区供电已恢复") == 4  # the command, and the result each enterprise rates


def test_transfer_by_an_alias_imported_with_the_departments(tmp_path: Path) -> None:
    """A centre's departments sheet gives a department its short names (简称); a dispatcher's
    `/transfer` by one of them reaches it, and the export gives them back."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'loop.db'}"
    sheet = tmp_path / "departments.csv"
    sheet.write_text("部门编号,部门名称,简称\nmarket,区市场监督管理局,市场监管局、工商局\n", encoding="utf-8")
    imported = xiaoer("import", "departments", sheet.name, "-d", url, cwd=tmp_path)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    out = run(tmp_path, [DEMAND, "/as officer wang_lei", "/take 1", "/transfer 1 工商局 涉及商标登记"])
    assert "工单 #1 已转办至区市场监督管理局" in out
    exported = xiaoer("export", "departments", "out.csv", "-d", url, cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert ",工商局、市场监管局," in (tmp_path / "out.csv").read_text(encoding="utf-8-sig")  # sorted
