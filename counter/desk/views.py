"""The desk console's window: a header with the hub and printer status, a banner while the hub
is unreachable, the pages as tabs, and a result line that says what became of the last click."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from counter.desk.indicators import Indicators
from counter.desk.model import ActionResult, DeskModel
from counter.desk.views_common import (
    BLUE,
    GREEN,
    GREEN_SOFT,
    RED,
    RED_SOFT,
    STYLE,
    base_font,
    label,
)
from counter.desk.views_issue import IssuePage
from counter.desk.views_lookup import AnnouncePage, LookupPage
from counter.desk.views_queue import QueuePage
from counter.desk.views_reports import AskPath, ReportsPage
from counter.desk.views_watch import WatchPage
from kiosk.raster import font_family

PILL = "padding: 0.25em 0.8em; border-radius: 0.8em; font-weight: bold;"


class DeskWindow(QMainWindow):
    def __init__(self, model: DeskModel, *, device: str = "", ask_path: AskPath | None = None
                 ) -> None:
        super().__init__()
        self.model = model
        t = model.t
        self.setWindowTitle(t("window_title"))
        # the console's type for every widget (style sheets stop a window's font from reaching
        # widgets made before they join it): set it before any widget is made
        QApplication.setFont(base_font(font_family()))
        self.setStyleSheet(STYLE)
        central = QWidget()
        central.setObjectName("page")
        layout = QVBoxLayout(central)

        header = QHBoxLayout()
        self.title = label("", factor=1.5, bold=True, wrap=False)
        self.title.setStyleSheet(f"color: {BLUE};")
        self.device = label(t("device_line", device=device) if device else "", role="hint",
                            wrap=False)
        self.printer = QLabel()
        self.connection = QLabel()
        self.clock = label("", factor=1.3, bold=True, wrap=False)
        header.addWidget(self.title)
        header.addWidget(self.device)
        header.addStretch(1)
        header.addWidget(self.printer)
        header.addWidget(self.connection)
        header.addWidget(self.clock)
        layout.addLayout(header)

        self.banner = label("", factor=1.1, bold=True)
        self.banner.setStyleSheet(f"background: {RED}; color: white; padding: 0.6em 1em; "
                                  "border-radius: 5px;")
        layout.addWidget(self.banner)

        self.tabs = QTabWidget()
        self.queue = QueuePage(model)
        self.issue = IssuePage(model)
        self.lookup = LookupPage(model)
        self.announce = AnnouncePage(model)
        self.watch = WatchPage(model)
        self.reports = ReportsPage(model, ask_path)
        self.tabs.addTab(self.queue, t("tab_queue"))
        self.tabs.addTab(self.issue, t("tab_issue"))
        self.tabs.addTab(self.lookup, t("tab_lookup"))
        self.tabs.addTab(self.announce, t("tab_announce"))
        self.tabs.addTab(self.watch, t("tab_watch"))
        self.tabs.addTab(self.reports, t("tab_reports"))
        layout.addWidget(self.tabs, 1)

        self.result_line = label(t("result_none"), factor=1.1)
        self.result_line.setObjectName("result_line")
        layout.addWidget(self.result_line)
        self.setCentralWidget(central)

        self._ever_connected = False
        self._shown: ActionResult | None = None  # on the result line
        model.status_changed.connect(self._status)
        model.result.connect(self._result)
        model.changed.connect(self._header)
        model.changed.connect(self._tick)
        model.indicators_changed.connect(self._alert_count)
        model.printer_changed.connect(lambda _p: self._printer())
        self.ticker = QTimer(self)  # the clock on the header, the result line fading
        self.ticker.setInterval(10_000)
        self.ticker.timeout.connect(self._tick)
        self.ticker.start()
        self._status(model.connected, model.status_detail)
        self._printer()
        self._header()
        self._tick()
        self._show_result(None)

    def _header(self) -> None:
        m = self.model
        name = m.hall_name()
        self.title.setText(f"{name} · {m.t('desk_name')}" if name else m.t("desk_name"))

    def _tick(self) -> None:
        self.clock.setText(self.model.local_time(self.model.clock.now()))
        self._fade_result()

    def _fade_result(self) -> None:
        """Clear the result line once what it says is old (``model.current_result``)."""
        if self._shown is not None and self.model.current_result() is None:
            self._show_result(None)

    def _status(self, connected: bool, detail: str) -> None:
        t = self.model.t
        if connected:
            self.connection.setText(t("hub_online"))
            self.connection.setStyleSheet(f"{PILL} color: {GREEN}; background: {GREEN_SOFT};")
        else:
            self.connection.setText(t("hub_offline"))
            self.connection.setStyleSheet(f"{PILL} color: {RED}; background: {RED_SOFT};")
        self._ever_connected = self._ever_connected or connected
        if self._ever_connected:
            self.banner.setText(t("offline_banner"))
        else:
            self.banner.setText(t("connecting_banner"))
        self.banner.setToolTip(detail)
        self.banner.setVisible(not connected)

    def _printer(self) -> None:
        m = self.model
        if m.printer is None:
            text, ok = m.t("printer_none"), False
        elif m.printer_problem:
            text, ok = m.t("printer_state", state=m.printer_text(m.printer_problem)), False
        else:
            text, ok = m.t("printer_state", state=m.t("printer_ready")), True
        self.printer.setText(text)
        colors = (GREEN, GREEN_SOFT) if ok else (RED, RED_SOFT)
        self.printer.setStyleSheet(f"{PILL} color: {colors[0]}; background: {colors[1]};")

    def _alert_count(self, _figures: Indicators) -> None:
        count = len(self.model.active_alerts())
        index = self.tabs.indexOf(self.watch)
        text = self.model.t("tab_watch")
        self.tabs.setTabText(index, self.model.t("tab_watch_alerts", count=count)
                             if count else text)
        self.tabs.tabBar().setTabTextColor(index, QColor(RED) if count else QColor("black"))

    def _result(self, result: ActionResult) -> None:
        self._show_result(result)

    def _show_result(self, result: ActionResult | None) -> None:
        self._shown = result
        if result is None:
            self.result_line.setText(self.model.t("result_none"))
            self.result_line.setStyleSheet("padding: 0.5em 1em; color: #5f6368; background: white;"
                                           " border: 1px solid #c9ced6; border-radius: 5px;")
            return
        colors = (GREEN, GREEN_SOFT) if result.ok else (RED, RED_SOFT)
        mark = "✔" if result.ok else "✖"
        self.result_line.setText(f"{mark} {self.model.local_time(result.at)}  {result.text}")
        self.result_line.setStyleSheet(f"padding: 0.5em 1em; color: {colors[0]}; "
                                       f"background: {colors[1]}; border-radius: 5px; "
                                       "font-weight: bold;")

