"""The "dissatisfied" ratings and their follow-up (一事一评价: dissatisfaction is followed up):
a list, each line with what was done or "to follow up", and the line where the desk records a
follow-up of the selected rating. The watch page shows today's and the earlier days' still to
follow up (then with their day, short: "12-04"), the reports page the period's."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from counter.desk.indicators import FollowUp
from counter.desk.model import DeskModel
from counter.desk.views_common import (
    AMBER,
    GREEN,
    RED,
    ColumnFitter,
    cell,
    empty_state,
    label,
    table,
)
from hub.protocol import NOTE_MAX

#: the note says how many characters are left once fewer than this are
NOTE_LEFT_SHOWN = 100


class FollowUpPanel(QWidget):
    def __init__(self, model: DeskModel, *, with_day: bool, short_days: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.with_day = with_day
        self.short_days = short_days  # today's as "today", an earlier day's as MM-DD
        self.items: list[FollowUp] = []
        t = model.t
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        headers = [t("col_number"), t("col_service"), t("col_window"), t("col_clerk"),
                   t("col_follow_up")]
        if with_day:
            headers.insert(0, t("col_day"))
        self.stack = QStackedWidget()
        self.table = table(headers, stretch=len(headers) - 1)
        # the follow-up keeps 40% of the width: service, window and clerk wrap rather than
        # squeeze it to a letter; rows re-fitted on every resize
        service = len(headers) - 4
        self.fitter = ColumnFitter(self.table, len(headers) - 1, share=0.4,
                                   shrink=(service, service + 1, service + 2))
        self.stack.addWidget(self.table)
        self.stack.addWidget(empty_state(t("follow_none")))
        layout.addWidget(self.stack, 1)
        row = QHBoxLayout()
        self.note = QLineEdit()
        self.note.setMaxLength(NOTE_MAX)
        self.note.setPlaceholderText(t("follow_note_placeholder"))
        self.record = QPushButton(t("follow_record"))
        # the note is cut at NOTE_MAX characters: near it, say how many are left, then full
        self.left = label("", wrap=False)
        row.addWidget(self.note, 1)
        row.addWidget(self.left)
        row.addWidget(self.record)
        layout.addLayout(row)

        self.table.itemSelectionChanged.connect(self.refresh_actions)
        self.note.textChanged.connect(lambda _text: self.refresh_actions())
        self.note.returnPressed.connect(self._record)
        self.record.clicked.connect(self._record)
        model.busy_changed.connect(self.refresh_actions)
        model.status_changed.connect(lambda _ok, _detail: self.refresh_actions())
        self.refresh_actions()

    def show_items(self, items: Sequence[FollowUp]) -> None:
        m, t = self.model, self.model.t
        selected = self.selected()
        self.items = list(items)
        self.table.setRowCount(len(self.items))
        first = 1 if self.with_day else 0
        for r, item in enumerate(self.items):
            if self.with_day:
                # on the watch page, an earlier day's rating stands out among today's
                self.table.setItem(r, 0, cell(self._day_text(item.day), bold=self.short_days
                                              and item.day != m.watch.day))
            self.table.setItem(r, first, cell(item.ticket, bold=True,
                                              color=GREEN if item.done else RED))
            for c, name in enumerate(m.follow_up_names(item), start=first + 1):
                self.table.setItem(r, c, cell(name, tip=True))
            if item.done:
                status = t("follow_done", at=m.local_time(item.at, "%m-%d %H:%M"),
                           note=item.note or "", by=item.by or "-")
                self.table.setItem(r, first + 4, cell(status, color=GREEN, tip=True))
            else:
                self.table.setItem(r, first + 4, cell(t("follow_pending"), color=AMBER,
                                                      bold=True))
        if self.short_days:  # the day only when an earlier day's rating is listed
            self.table.setColumnHidden(0, all(item.day == m.watch.day for item in self.items))
        self.fitter.fit()
        self.stack.setCurrentIndex(0 if self.items else 1)
        if selected is not None:
            for r, item in enumerate(self.items):
                if (item.id, item.ticket, item.day) == (selected.id, selected.ticket,
                                                        selected.day):
                    self.table.selectRow(r)
        self.refresh_actions()

    def _day_text(self, day: str) -> str:
        if not self.short_days:
            return day
        return self.model.t("follow_today") if day == self.model.watch.day else day[5:]

    def selected(self) -> FollowUp | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.items):
            return None
        return self.items[rows[0].row()]

    def refresh_actions(self) -> None:
        item = self.selected()
        self.record.setEnabled(item is not None and not item.done and self.model.can_act()
                               and not self.model.busy("follow_up")
                               and bool(self.note.text().strip()))
        self.note.setEnabled(item is None or not item.done)
        left = NOTE_MAX - len(self.note.text())
        if left <= 0:
            self.left.setText(self.model.t("follow_note_full", limit=NOTE_MAX))
            self.left.setStyleSheet(f"color: {RED}; font-weight: bold;")
        else:
            self.left.setText(self.model.t("follow_note_left", left=left))
            self.left.setStyleSheet(f"color: {AMBER};")
        self.left.setVisible(left < NOTE_LEFT_SHOWN)

    def _record(self) -> None:
        item = self.selected()
        if item is None or item.done or not self.record.isEnabled():
            return
        if self.model.follow_up(item, self.note.text()):
            self.note.clear()
