"""Electronic supervision (电子监察): live figures, alerts highlighted, services, windows, devices
and the dissatisfied ratings to follow up."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QResizeEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from counter.desk.indicators import Indicators
from counter.desk.model import DeskModel
from counter.desk.views_common import (
    AMBER,
    AMBER_SOFT,
    BASE_POINTS,
    BLUE,
    GREEN,
    GREY,
    RED,
    RED_SOFT,
    DeskPage,
    VerticalScroll,
    card,
    cell,
    compact_rows,
    empty_state,
    label,
    natural_width,
    table,
)
from counter.desk.views_follow import FollowUpPanel
from hub.i18n import percent

LEVEL_COLORS = {"alarm": (RED, RED_SOFT), "warning": (AMBER, AMBER_SOFT)}
TILE_MARGIN = 0.45  # of the base size: the tiles' padding
TILE_VALUE = 1.7  # the tiles' figures, times the base size
#: the height the alerts (and the ratings and devices beside them) and the tables below take,
#: in proportion, until the manager moves the splitter between them (ProportionalSplitter)
SPLIT = (47, 53)
TAB_MIN_HEIGHT = 100  # pixels of a side tab's page, at least (it scrolls for the rest)
STATE_COLORS = {"open": GREEN, "paused": AMBER, "closed": GREY}


class ProportionalSplitter(QSplitter):
    """A splitter that shares its length in fixed proportions at any size, until a person
    moves its handle (then it keeps theirs, as any splitter does)."""

    def __init__(self, orientation: Qt.Orientation, parts: tuple[int, ...],
                 parent: QWidget | None = None) -> None:
        super().__init__(orientation, parent)
        self.parts = parts
        self.moved_by_hand = False
        self.setChildrenCollapsible(False)
        # a thin grey line: there is a handle (the cursor says it moves)
        self.setStyleSheet("QSplitter::handle { background: #d5dae1; margin: 1px 0; }")
        self.splitterMoved.connect(self._moved)

    def _moved(self, _position: int, _index: int) -> None:
        self.moved_by_hand = True

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if not self.moved_by_hand:
            self.share()

    def share(self) -> None:
        """The parts' sizes in proportion (each at least its minimum: the splitter sees to it)."""
        total = sum(self.sizes())
        whole = sum(self.parts)
        sizes = [total * part // whole for part in self.parts[:-1]]
        self.setSizes([*sizes, total - sum(sizes)])


class Tile(QWidget):
    """One figure, large, with its name above and a note below; compact, so that six of them
    leave a 768-pixel-high desk screen room for the alerts and the tables."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        frame, inner = card(TILE_MARGIN)
        inner.setSpacing(0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(frame)
        self.title = label(title, role="hint")
        self.value = label("-", factor=TILE_VALUE, bold=True, wrap=False)
        self.note = label("", role="hint")
        inner.addWidget(self.title)
        inner.addWidget(self.value)
        inner.addWidget(self.note)
        inner.addStretch(1)

    def show_value(self, value: str, note: str = "", color: str | None = None) -> None:
        self.value.setText(value)
        self.value.setStyleSheet(f"color: {color};" if color else "")
        self.note.setText(note)


class WatchPage(DeskPage):
    """The figures in a row of tiles; below them, in a splitter the manager can move, the alerts
    beside the ratings to follow up and the devices (one tab each), then the services and the
    windows. The alerts and the tables share the height: on a 1366x768 or 1280x720 desk screen
    each shows most of its lines, and scrolls for the rest."""

    def __init__(self, model: DeskModel, parent: QWidget | None = None) -> None:
        super().__init__(model, parent)
        outer = QVBoxLayout(self)
        margin = round(BASE_POINTS * 0.5)  # a little less than a layout's: height
        outer.setContentsMargins(margin, margin, margin, margin)
        outer.addLayout(self._tiles())
        self.splitter = ProportionalSplitter(Qt.Orientation.Vertical, SPLIT)
        upper = QWidget()
        middle = QHBoxLayout(upper)
        middle.setContentsMargins(0, 0, 0, 0)
        middle.addWidget(self._alerts_box(), 1)
        middle.addWidget(self._side_tabs(), 1)
        lower = QWidget()
        self.lower_grid = QGridLayout(lower)
        self.lower_grid.setContentsMargins(0, 0, 0, 0)
        self._tables()
        self.splitter.addWidget(upper)
        self.splitter.addWidget(lower)
        outer.addWidget(self.splitter, 1)

        self.ack.clicked.connect(self._acknowledge)
        self.alerts.itemSelectionChanged.connect(self._ack_state)
        model.indicators_changed.connect(self.show_indicators)
        self.show_indicators(model.indicators)

    # ------------------------------------------------------------------ building

    def _tiles(self) -> QHBoxLayout:
        t = self.model.t
        tiles = QHBoxLayout()
        self.tile_waiting = Tile(t("tile_waiting"))
        self.tile_longest = Tile(t("tile_longest"))
        self.tile_windows = Tile(t("tile_windows"))
        self.tile_no_shows = Tile(t("tile_no_shows"))
        self.tile_ratings = Tile(t("tile_ratings"))
        self.tile_devices = Tile(t("tile_devices"))
        for tile in (self.tile_waiting, self.tile_longest, self.tile_windows, self.tile_no_shows,
                     self.tile_ratings, self.tile_devices):
            tiles.addWidget(tile, 1)
        return tiles

    def _alerts_box(self) -> QWidget:
        """The alerts, one a line at half the page's width; their title, the targets and the
        button that hides the one selected on one line above them (no box title: height)."""
        m, t = self.model, self.model.t
        frame, alerts = card(0.5)
        head = QHBoxLayout()
        title = label(t("alerts_title"), bold=True, wrap=False)
        title.setStyleSheet(f"color: {BLUE};")
        head.addWidget(title)
        head.addWidget(label(t("targets_line", wait=round(m.targets.max_wait_min),
                               pause=round(m.targets.max_pause_min)), role="hint"), 1)
        self.ack = QPushButton(t("acknowledge"))
        head.addWidget(self.ack)
        alerts.addLayout(head)
        self.alert_stack = QStackedWidget()
        self.alerts = QListWidget()
        self.alerts.setWordWrap(True)
        self.alerts_empty = empty_state(t("alerts_none"))
        self.alert_stack.addWidget(self.alerts)
        self.alert_stack.addWidget(self.alerts_empty)
        alerts.addWidget(self.alert_stack, 1)
        return frame

    def _side_tabs(self) -> QTabWidget:
        """The ratings to follow up and the devices, one tab each: both say what goes wrong in
        the alerts too, the detail is a click away."""
        t = self.model.t
        self.side = QTabWidget()
        self.follow = FollowUpPanel(self.model, with_day=True, short_days=True)
        self.side.addTab(self._padded(self.follow), t("follow_title"))
        self.device_stack = QStackedWidget()
        self.devices = table([t("col_device"), t("col_part"), t("col_status")], stretch=2)
        self.device_stack.addWidget(self.devices)
        self.devices_empty = empty_state(t("devices_none"))
        self.device_stack.addWidget(self.devices_empty)
        self.side.addTab(self._padded(self.device_stack), t("devices_title"))
        return self.side

    @staticmethod
    def _padded(widget: QWidget) -> QWidget:
        """A tab's page: scrolled rather than squashed when the splitter leaves it short."""
        host = QWidget()
        layout = QVBoxLayout(host)
        margin = round(BASE_POINTS * 0.5)
        layout.setContentsMargins(margin, margin, margin, margin)
        layout.addWidget(widget)
        return VerticalScroll(host, min_height=TAB_MIN_HEIGHT)

    def _tables(self) -> None:
        t = self.model.t
        services_box = QGroupBox(t("services_title"))
        services_layout = QVBoxLayout(services_box)
        # figures as wide as they are, the names the rest (whole in their tooltips)
        self.services = table([t("col_service"), t("col_waiting"), t("col_longest"),
                               t("col_open_windows")], stretch=0)
        services_layout.addWidget(self.services)
        windows_box = QGroupBox(t("windows_title"))
        windows_layout = QVBoxLayout(windows_box)
        self.windows = table([t("col_window"), t("col_state"), t("col_clerk"), t("col_for"),
                              t("col_current")], stretch=0)
        windows_layout.addWidget(self.windows)
        for widget in (self.services, self.windows, self.devices):
            compact_rows(widget)
        for widget in (self.services, self.windows):
            # a few lines of each always show, however far the splitter is moved
            widget.setMinimumHeight(widget.horizontalHeader().sizeHint().height()
                                    + 3 * widget.verticalHeader().defaultSectionSize()
                                    + 2 * widget.frameWidth())
        for layout in (services_layout, windows_layout):
            layout.setContentsMargins(0, 0, 0, 0)  # the box's own padding is enough: width
        self.lower_grid.addWidget(services_box, 0, 0)
        self.lower_grid.addWidget(windows_box, 0, 1)
        self.lower_tables = (self.services, self.windows)
        self._share_width()

    # ------------------------------------------------------------------ painting

    def show_indicators(self, figures: Indicators) -> None:
        m, t = self.model, self.model.t
        alerts = m.active_alerts()
        self.tile_waiting.show_value(str(figures.waiting_total))
        longest = figures.longest_wait_min
        self.tile_longest.show_value(
            t("minutes_short", minutes=longest) if longest is not None else "-",
            t("target_note", minutes=round(m.targets.max_wait_min)),
            RED if longest is not None and longest > m.targets.max_wait_min else None)
        self.tile_windows.show_value(
            t("windows_value", open=figures.windows_open, paused=figures.windows_paused),
            t("windows_note", open=figures.windows_open, paused=figures.windows_paused,
              closed=figures.windows_closed),
            AMBER if figures.windows_paused else None)
        self.tile_no_shows.show_value(str(figures.no_shows) if figures.no_shows is not None
                                      else "-", t("today"))
        if figures.rated:
            share = percent(figures.satisfaction or 0)
            self.tile_ratings.show_value(
                share, t("ratings_note_one" if figures.rated == 1 else "ratings_note",
                         rated=figures.rated, bad=figures.ratings.get(1, 0)),
                RED if figures.ratings.get(1, 0) else GREEN)
        else:
            self.tile_ratings.show_value("-", t("ratings_none"))
        faults = [d for d in figures.devices if d.level != "ok"]
        note = (t("devices_note_online", online=figures.devices_online[0],
                  count=figures.devices_online[1]) if figures.devices_online is not None
                else t("devices_note", count=len({d.device for d in figures.devices})))
        self.tile_devices.show_value(str(len(faults)), note, RED if faults else GREEN)

        selected = self._selected_key()
        self.alerts.clear()
        for alert in alerts:
            item = QListWidgetItem(m.alert_text(alert))
            color, background = LEVEL_COLORS.get(alert.level, (AMBER, AMBER_SOFT))
            item.setForeground(QColor(color))
            item.setBackground(QColor(background))
            font = item.font()
            font.setBold(alert.level == "alarm")
            item.setFont(font)
            item.setData(Qt.ItemDataRole.UserRole, alert.key)
            self.alerts.addItem(item)
            if alert.key == selected:
                item.setSelected(True)
        self.alert_stack.setCurrentIndex(0 if alerts else 1)
        self._ack_state()

        self._fill_services(figures)
        self._fill_windows(figures)
        self.devices.setRowCount(len(figures.devices))
        for r, line in enumerate(figures.devices):
            level_color = {"alarm": RED, "warning": AMBER}.get(line.level)
            self.devices.setItem(r, 0, cell(line.device, bold=True))
            self.devices.setItem(r, 1, cell(m.device_part(line.part), tip=True))
            self.devices.setItem(r, 2, cell(m.device_status(line.value) or "-", color=level_color,
                                            bold=level_color is not None))
        self.device_stack.setCurrentIndex(0 if figures.devices else 1)
        self.follow.show_items(figures.follow_ups)
        self._mark_tabs(figures)
        self._share_width()

    def _mark_tabs(self, figures: Indicators) -> None:
        """A tab with something to do (a rating to follow up, a device at fault) in red."""
        pending = any(not f.done for f in figures.follow_ups)
        faults = any(d.level != "ok" for d in figures.devices)
        bar = self.side.tabBar()
        for index, wrong in enumerate((pending, faults)):
            bar.setTabTextColor(index, QColor(RED) if wrong else QColor(BLUE))

    def _share_width(self) -> None:
        """The two tables below share the width as their contents need it, not in fixed
        parts."""
        for c, widget in enumerate(self.lower_tables):
            self.lower_grid.setColumnStretch(c, max(1, natural_width(widget)))

    def _fill_services(self, figures: Indicators) -> None:
        m, t = self.model, self.model.t
        lines = sorted(figures.services, key=lambda s: -s.waiting)  # ties keep the hall order
        self.services.setRowCount(len(lines))
        for r, line in enumerate(lines):
            over = line.over_target > 0
            unserved = line.waiting > 0 and line.open_windows == 0
            background = RED_SOFT if over else (AMBER_SOFT if unserved else None)
            longest = (t("longest_line", minutes=line.longest_wait_min, number=line.longest_number)
                       if line.longest_wait_min is not None else "-")
            self.services.setItem(r, 0, cell(m.service_name(line.id), background=background,
                                             tip=True))
            self.services.setItem(r, 1, cell(line.waiting, align_right=True, bold=line.waiting > 0,
                                             background=background))
            self.services.setItem(r, 2, cell(longest, color=RED if over else None, bold=over,
                                             background=background))
            self.services.setItem(r, 3, cell(line.open_windows, align_right=True,
                                             color=AMBER if unserved else None,
                                             background=background))

    def _fill_windows(self, figures: Indicators) -> None:
        m, t = self.model, self.model.t
        self.windows.setRowCount(len(figures.windows))
        for r, line in enumerate(figures.windows):
            background = RED_SOFT if line.over_limit else None
            state = m.t(f"window_{line.state}")
            if line.state == "paused" and line.reason:
                reason = m.said_reason(line.reason)
                state = f"{state}（{reason}）" if m.lang == "zh" else f"{state} ({reason})"
            if line.for_min is None or (line.for_min == 0 and not line.since_exact):
                duration = "-"  # seen so since this desk started: how long is not known
            else:
                duration = t("minutes_short" if line.since_exact else "minutes_least",
                             minutes=line.for_min)
            self.windows.setItem(r, 0, cell(m.window_name(line.number), background=background,
                                            tip=True))
            self.windows.setItem(r, 1, cell(state, color=STATE_COLORS.get(line.state),
                                            bold=line.state != "closed", background=background))
            self.windows.setItem(r, 2, cell(line.clerk_name or "-", background=background,
                                            tip=True))
            self.windows.setItem(r, 3, cell(duration if line.state != "closed" else "-",
                                            color=RED if line.over_limit else None,
                                            bold=line.over_limit, background=background))
            self.windows.setItem(r, 4, cell(line.current or "", bold=True, background=background))

    # ------------------------------------------------------------------ acknowledging

    def _selected_key(self) -> str | None:
        items = self.alerts.selectedItems()
        return str(items[0].data(Qt.ItemDataRole.UserRole)) if items else None

    def _ack_state(self) -> None:
        self.ack.setEnabled(self._selected_key() is not None)

    def _acknowledge(self) -> None:
        key = self._selected_key()
        if key is not None:
            self.model.acknowledge(key)

