"""The waiting line: searchable, in the hub's calling order, with actions on the selected ticket."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QStackedWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from counter.desk.model import DeskModel, WaitingRow
from counter.desk.views_common import (
    AMBER,
    AMBER_SOFT,
    BLUE,
    GREEN,
    RED,
    ColumnFitter,
    DeskPage,
    card,
    cell,
    empty_state,
    label,
    table,
)
from counter.desk.views_ticket import TicketPanel


class QueuePage(DeskPage):
    def __init__(self, model: DeskModel, parent: QWidget | None = None) -> None:
        super().__init__(model, parent)
        t = model.t
        outer = QHBoxLayout(self)

        left = QVBoxLayout()
        tools = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText(t("search_placeholder"))
        self.search.setClearButtonEnabled(True)
        self.service_filter = QComboBox()
        self.count = label("", wrap=False, bold=True)
        tools.addWidget(self.search, 3)
        tools.addWidget(self.service_filter, 2)
        tools.addWidget(self.count)
        left.addLayout(tools)

        self.stack = QStackedWidget()
        self.table = table([t("col_number"), t("col_service"), t("col_priority"),
                            t("col_waited"), t("col_ahead"), t("col_est"), t("col_for_window")],
                           stretch=6)
        # the service takes the spare width; short of width, the kind (where a ticket was
        # transferred from), the estimate and the window a ticket is sent to wrap, and no
        # header is cut
        self.fitter = ColumnFitter(self.table, 1, share=0.2, shrink=(2, 5, 6))
        self.empty = empty_state(t("queue_empty"))
        self.no_match = empty_state(t("queue_no_match"))
        for widget in (self.table, self.empty, self.no_match):
            self.stack.addWidget(widget)
        left.addWidget(self.stack, 1)
        outer.addLayout(left, 4)

        panel_frame, panel_layout = card()
        panel_layout.addWidget(label(t("selected_title"), factor=1.2, bold=True))
        self.panel = TicketPanel(model, t("select_hint"))
        panel_layout.addWidget(self.panel, 1)
        outer.addWidget(panel_frame, 3)

        self.search.textChanged.connect(lambda _text: self.refresh())
        self.service_filter.currentIndexChanged.connect(lambda _i: self.refresh())
        self.table.itemSelectionChanged.connect(self._selected)
        model.changed.connect(self.refresh)
        self._services_seen: list[str] = []
        self.refresh()

    def _fill_filter(self) -> None:
        ids = list(self.model.watch.services)
        if ids == self._services_seen:
            return
        self._services_seen = ids
        current = self.service_filter.currentData()
        self.service_filter.blockSignals(True)
        self.service_filter.clear()
        self.service_filter.addItem(self.model.t("all_services"), None)
        for sid in ids:
            self.service_filter.addItem(self.model.service_name(sid), sid)
        index = self.service_filter.findData(current)
        self.service_filter.setCurrentIndex(max(0, index))
        self.service_filter.blockSignals(False)
        self.panel.fill_targets()

    def refresh(self) -> None:
        self._fill_filter()
        m = self.model
        chosen = self.panel.ticket.get("id") if self.panel.ticket else None
        rows = m.waiting_rows(self.search.text(), self.service_filter.currentData())
        total = len(m.watch.waiting)
        over = sum(s.over_target for s in m.indicators.services)
        self.count.setText(m.t("waiting_count_over", count=total, over=over,
                               minutes=round(m.targets.max_wait_min))
                           if over else m.t("waiting_count", count=total))
        self.table.blockSignals(True)
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            self._fill_row(r, row)
        self.table.blockSignals(False)
        self.fitter.fit()
        if rows:
            self.stack.setCurrentWidget(self.table)
        else:
            self.stack.setCurrentWidget(self.empty if total == 0 else self.no_match)
        selected_row = next((r for r, row in enumerate(rows) if row.id == chosen), None)
        self.table.blockSignals(True)
        if selected_row is not None:
            self.table.selectRow(selected_row)
        else:
            # the chosen ticket left the line (or the list): no other row stays highlighted
            # under an empty panel, and a click on any row selects it again
            self.table.clearSelection()
        self.table.blockSignals(False)
        if selected_row is not None:
            self.panel.set_ticket(m.waiting_ticket(str(chosen)))
        elif chosen is not None:
            self.panel.set_ticket(None)

    def _fill_row(self, r: int, row: WaitingRow) -> None:
        m = self.model
        over = row.waited_min is not None and row.waited_min > m.targets.wait_target(row.service)
        background = AMBER_SOFT if over else None
        priority_color = GREEN if row.priority == "green" else (AMBER if row.priority ==
                                                                "appointment" else None)
        waited = m.t("minutes_short", minutes=row.waited_min) if row.waited_min is not None else "-"
        cells = [
            cell(row.number, bold=True, data=row.id, background=background),
            cell(row.service_name, background=background, tip=True),
            self._kind_cell(row, priority_color, background),
            cell(waited, color=RED if over else None, bold=over, align_right=True,
                 background=background),
            cell(row.ahead if row.ahead is not None else "-", align_right=True,
                 background=background),
            self._estimate_cell(row, background),
            cell(m.window_name(row.to_window) if row.to_window else "", background=background,
                 tip=True),
        ]
        for c, item in enumerate(cells):
            self.table.setItem(r, c, item)

    def _kind_cell(self, row: WaitingRow, color: str | None, background: str | None
                   ) -> QTableWidgetItem:
        """Green channel or appointment, and where a transferred ticket came from."""
        m = self.model
        words = [m.priority_name(row.priority)] if row.priority != "normal" else []
        moved = m.moved_text(row.moved, row.service) if row.moved is not None else ""
        if moved:
            words.append(moved)
        return cell(" · ".join(words), color=color or BLUE, bold=bool(words),
                    background=background, tip=True)

    def _estimate_cell(self, row: WaitingRow, background: str | None) -> QTableWidgetItem:
        """The hub's estimate; none while no window that would call the ticket is open (the
        hub's would say "0 min" for the first in line)."""
        m = self.model
        if row.window_state != "open":
            item = cell(m.t(f"est_{row.window_state}"), color=AMBER, background=background)
            item.setToolTip(m.t(f"est_{row.window_state}_tip"))
            return item
        est = ("-" if row.est_wait_min is None
               else m.t("est_next") if row.ahead == 0  # first in line: "0 min" beside the
               else m.t("minutes_short", minutes=row.est_wait_min))  # long wait misread
        return cell(est, align_right=True, background=background)

    def _selected(self) -> None:
        items = self.table.selectedItems()
        if not items:
            return
        first = self.table.item(items[0].row(), 0)
        ticket_id = first.data(Qt.ItemDataRole.UserRole) if first else None
        self.panel.set_ticket(self.model.waiting_ticket(str(ticket_id)) if ticket_id else None)

    def select_number(self, number: str) -> bool:
        """Select the row of ``number`` (tests and the lookup page use it)."""
        for r in range(self.table.rowCount()):
            item = self.table.item(r, 0)
            if item is not None and item.text() == number:
                self.table.selectRow(r)
                return True
        return False

