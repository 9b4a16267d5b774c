"""Reports (周记、月评、季小结、年考核): a period picker, tables by service, department, window,
clerk and day, a bar chart drawn with QPainter, the dissatisfied follow-up list, CSV export."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import QDate, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QDateEdit,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from counter.desk.model import DeskModel
from counter.desk.periods import PERIODS
from counter.desk.report_table import (
    COLUMNS,
    GROUPS,
    PLACES,
    ReportRow,
    columns,
    report_rows,
    total_row,
)
from counter.desk.views_common import (
    BLUE,
    GREY,
    RED,
    DeskPage,
    cell,
    combo,
    empty_state,
    label,
    set_role,
    table,
)
from counter.desk.views_follow import FollowUpPanel

SERVED_COLOR = BLUE
ISSUED_COLOR = "#b9c9e6"

AskPath = Callable[[str], str | None]


class BarChart(QWidget):
    """Horizontal bars, one row per line of the table: issued (light; handled, for windows
    and clerks) and served (dark)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[ReportRow] = []
        self.legend = ("", "")
        self.base = "issued"  # the figure of the light bar
        self.empty_text = ""
        self.setMinimumHeight(200)

    def show_rows(self, rows: Sequence[ReportRow], legend: tuple[str, str],
                  base: str = "issued") -> None:
        self.rows = list(rows)
        self.legend = legend
        self.base = base
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(480, 320)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.fillRect(self.rect(), QColor("white"))
            metrics = painter.fontMetrics()
            line = metrics.height()
            if not self.rows:
                painter.setPen(QColor(GREY))
                painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.empty_text)
                return
            margin = line * 0.6
            # legend
            x = margin
            for text, color in zip(self.legend, (ISSUED_COLOR, SERVED_COLOR), strict=True):
                painter.fillRect(QRectF(x, margin, line, line * 0.8), QColor(color))
                painter.setPen(QColor("black"))
                painter.drawText(QRectF(x + line * 1.3, margin - line * 0.1, 400, line),
                                 Qt.AlignmentFlag.AlignLeft, text)
                x += line * 1.6 + metrics.horizontalAdvance(text) + line
            top = margin + line * 1.6
            names_width = min(self.width() * 0.4,
                              max(metrics.horizontalAdvance(r.name) for r in self.rows) + line)
            value_width = metrics.horizontalAdvance("00000") + line * 0.5
            bar_left = margin + names_width
            bar_space = max(10.0, self.width() - bar_left - value_width - margin)
            available = self.height() - top - margin
            pitch = min(line * 2.0, available / len(self.rows))
            biggest = max(int(r.figures.get(self.base) or 0) for r in self.rows) or 1
            for i, row in enumerate(self.rows):
                y = top + i * pitch
                issued = int(row.figures.get(self.base) or 0)
                served = int(row.figures.get("served") or 0)
                painter.setPen(QColor("black"))
                name = metrics.elidedText(row.name, Qt.TextElideMode.ElideRight,
                                          int(names_width - line * 0.5))
                painter.drawText(QRectF(margin, y, names_width - line * 0.5, pitch),
                                 Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, name)
                height = pitch * 0.7
                bar_top = y + (pitch - height) / 2
                painter.fillRect(QRectF(bar_left, bar_top, bar_space * issued / biggest, height),
                                 QColor(ISSUED_COLOR))
                painter.fillRect(QRectF(bar_left, bar_top + height * 0.25,
                                        bar_space * served / biggest, height * 0.5),
                                 QColor(SERVED_COLOR))
                painter.drawText(QRectF(bar_left + bar_space * issued / biggest + line * 0.3, y,
                                        value_width, pitch),
                                 Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                                 f"{served}/{issued}")
        finally:
            painter.end()


class ReportsPage(DeskPage):
    def __init__(self, model: DeskModel, ask_path: AskPath | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(model, parent)
        self.ask_path = ask_path or self._ask_path
        t = model.t
        outer = QVBoxLayout(self)

        controls = QHBoxLayout()
        self.period = combo([(t(f"period_{p}"), p) for p in PERIODS])
        self.anchor = QDateEdit()
        self.first = QDateEdit()
        self.last = QDateEdit()
        for edit in (self.anchor, self.first, self.last):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.show_button = set_role(QPushButton(t("report_show")), "primary")
        self.group = combo([(t(f"group_{g}"), g) for g in GROUPS])
        self.export_button = QPushButton(t("export_csv"))
        controls.addWidget(label(t("period"), wrap=False, bold=True))
        controls.addWidget(self.period)
        self.anchor_label = label(t("period_anchor"), wrap=False)
        controls.addWidget(self.anchor_label)
        controls.addWidget(self.anchor)
        self.range_label = label(t("period_from_to"), wrap=False)
        controls.addWidget(self.range_label)
        controls.addWidget(self.first)
        controls.addWidget(label("—", wrap=False))
        controls.addWidget(self.last)
        controls.addWidget(self.show_button)
        controls.addStretch(1)
        outer.addLayout(controls)

        # how the report is shown sits with its summary: the period line alone must fit 1280
        summary_row = QHBoxLayout()
        self.summary = label("", factor=1.1, bold=True)
        summary_row.addWidget(self.summary, 1)
        summary_row.addWidget(label(t("group_by"), wrap=False))
        summary_row.addWidget(self.group)
        summary_row.addWidget(self.export_button)
        outer.addLayout(summary_row)
        # the published targets (限时办结, 服务承诺) and who was not served, on a line of their own
        self.targets_line = label("")
        outer.addWidget(self.targets_line)

        self.stack = QStackedWidget()
        self.empty = empty_state(t("report_empty"))
        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        # thirteen figures side by side, all in view: titles on two lines and a narrow margin
        # make them fit 1280 pixels in English too, and the names take what is left (elided,
        # whole in their tooltip)
        self.table = table([t("col_name"), *(t(f"col_{c}") for c in COLUMNS)], stretch=0)
        self.table.setStyleSheet("QHeaderView::section { padding: 0.2em 0.1em; }")
        self.chart = BarChart()
        self.chart.empty_text = t("chart_empty")
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        lower = QWidget()
        lower_layout = QHBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.chart, 3)
        follow_box = QGroupBox(t("report_follow_title"))
        follow_layout = QVBoxLayout(follow_box)
        self.follow = FollowUpPanel(model, with_day=True)
        follow_layout.addWidget(self.follow)
        lower_layout.addWidget(follow_box, 3)
        split.addWidget(lower)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        body_layout.addWidget(split, 1)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(body)
        outer.addWidget(self.stack, 1)

        self.period.currentIndexChanged.connect(lambda _i: self._period_changed())
        self.show_button.clicked.connect(self.load)
        self.group.currentIndexChanged.connect(lambda _i: self.show_report())
        self.export_button.clicked.connect(self.export)
        model.report_ready.connect(lambda _r: self.show_report())
        model.busy_changed.connect(self._enable)
        model.status_changed.connect(lambda _ok, _d: self._enable())
        model.changed.connect(self._today_known)
        self._day = ""  # the hall day the dates were last set to
        self._today_known()
        self._period_changed()
        self.show_report()

    def _today_known(self) -> None:
        """The dates propose the hall day; on a new hall day (a desk left on overnight) each
        date the person has not changed moves to it."""
        day = self.model.watch.day
        if not day or day == self._day:
            return
        today = QDate.fromString(day, "yyyy-MM-dd")
        if not today.isValid():
            return
        before = QDate.fromString(self._day, "yyyy-MM-dd") if self._day else None
        self._day = day
        for edit in (self.anchor, self.first, self.last):
            if before is None or edit.date() == before:
                edit.setDate(today)

    def _period_changed(self) -> None:
        custom = self.period.currentData() == "custom"
        self.anchor.setVisible(not custom)
        self.anchor_label.setVisible(not custom)
        for widget in (self.first, self.last, self.range_label):
            widget.setEnabled(custom)
        self._enable()

    def _enable(self) -> None:
        self.show_button.setEnabled(self.model.can_act() and not self.model.busy("report"))
        self.export_button.setEnabled(self.model.report is not None)

    def load(self) -> None:
        self.model.load_report(str(self.period.currentData()), _date(self.anchor),
                               _date(self.first), _date(self.last))

    def show_report(self) -> None:
        m, t = self.model, self.model.t
        report = m.report
        self._enable()
        if report is None:
            self.stack.setCurrentIndex(0)
            self.summary.setText("")
            self.targets_line.setText("")
            return
        self.stack.setCurrentIndex(1)
        total: dict[str, Any] = report.get("total") or {}
        self.summary.setText(t("report_summary", first=report.get("from"), last=report.get("to"),
                               issued=total.get("issued", 0), served=total.get("served", 0),
                               no_show=total.get("no_show", 0),
                               satisfaction=_share(total.get("satisfaction"))))
        targets = report.get("targets") or {}
        wait_min = _minutes(targets.get("wait_min"))
        own = targets.get("wait_min_by_service") or {}  # services with a promise of their own
        sep = "、" if m.lang == "zh" else ", "
        own_line = t("report_wait_own", services=sep.join(
            t("report_wait_own_one", service=m.service_name(sid), minutes=_minutes(minutes))
            for sid, minutes in own.items())) if own else ""
        self.targets_line.setText(t(
            "report_targets_line", wait=wait_min, own=own_line,
            over_wait=_count(total.get("over_wait")),
            over_wait_share=_share(total.get("over_wait_share")),
            over_time=_count(total.get("over_time")),
            over_time_share=_share(total.get("over_time_share")),
            transferred=total.get("transferred", 0), day_end=total.get("day_end", 0)))
        # one promise for all: it heads the column; promises of their own: the line above says
        over_wait = t("col_over_wait") if own else t("col_over_wait_min", minutes=wait_min)
        group = str(self.group.currentData())
        shown_columns = columns(group)
        self.table.setHorizontalHeaderLabels([
            t("col_name"), *(_two_lines(over_wait if c == "over_wait" else t(f"col_{c}"))
                             for c in shown_columns)])
        rows = report_rows(report, group, m.name_of, m.report_order(group))
        shown = [*rows, total_row(report, t("group_total"))] if rows else []
        self.table.setRowCount(len(shown))
        for r, row in enumerate(shown):
            is_total = row.group == "total"
            self.table.setItem(r, 0, cell(row.name, bold=True, tip=True))
            for c, column in enumerate(shown_columns, start=1):
                self.table.setItem(r, c, cell(row.shown(column), align_right=True, bold=is_total,
                                              color=RED if _alarming(row, column) else None))
        base = "handled" if group in PLACES else "issued"
        self.chart.show_rows(rows, (t(f"col_{base}"), t("col_served")), base)
        self.follow.show_items(m.report_follow_ups())

    def export(self) -> None:
        report = self.model.report
        if report is None:
            return
        name = f"report-{report.get('from')}-{report.get('to')}.csv"
        path = self.ask_path(name)
        if path:
            self.model.export_report(path)

    def _ask_path(self, suggested: str) -> str | None:
        path, _filter = QFileDialog.getSaveFileName(self, self.model.t("export_csv"), suggested,
                                                    "CSV (*.csv)")
        return path or None


def _date(edit: QDateEdit) -> date:
    value = edit.date()
    return date(value.year(), value.month(), value.day())


def _share(value: Any) -> str:
    return f"{float(value) * 100:.1f}%" if value is not None else "-"


#: a column title longer than this goes on two lines (the figures under it are short)
HEADER_LINE = 6


def _two_lines(title: str) -> str:
    """A long title of words on two lines, broken at the space nearest its middle, so that
    every column fits the table at 1280 pixels ("Mean wait\n(min)"); 平均等候(分) stays."""
    spaces = [i for i, char in enumerate(title) if char == " "]
    if len(title) <= HEADER_LINE or not spaces:
        return title
    at = min(spaces, key=lambda i: abs(len(title) - 2 * i))
    return f"{title[:at]}\n{title[at + 1:]}"


def _count(value: Any) -> str:
    return str(value) if value is not None else "-"


def _minutes(value: Any) -> str:
    """A target in minutes as people write it: 30, 7.5."""
    if value is None:
        return "-"
    return f"{float(value):g}"


#: a figure in red: a satisfaction below 80 %, a wait over the target, a citizen unserved
SATISFACTION_LOW = 0.8


def _alarming(row: ReportRow, column: str) -> bool:
    value = row.figures.get(column)
    if value is None:
        return False
    if column == "satisfaction":
        return float(value) < SATISFACTION_LOW
    return column in ("over_wait", "day_end") and int(value) > 0
