"""Electronic supervision (电子监察): live figures, alerts highlighted, services, windows, devices
and the dissatisfied ratings to follow up."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from counter.desk.indicators import Indicators
from counter.desk.model import DeskModel
from counter.desk.views_common import (
    AMBER,
    AMBER_SOFT,
    GREEN,
    GREY,
    RED,
    RED_SOFT,
    DeskPage,
    card,
    cell,
    empty_state,
    label,
    natural_width,
    table,
)
from counter.desk.views_follow import FollowUpPanel

LEVEL_COLORS = {"alarm": (RED, RED_SOFT), "warning": (AMBER, AMBER_SOFT)}
STATE_COLORS = {"open": GREEN, "paused": AMBER, "closed": GREY}


class Tile(QWidget):
    """One figure, big, with its name above and a note below."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        frame, inner = card(0.6)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(frame)
        self.title = label(title, role="hint")
        self.value = label("-", factor=2.2, bold=True, wrap=False)
        self.note = label("", role="hint")
        inner.addWidget(self.title)
        inner.addWidget(self.value)
        inner.addWidget(self.note)

    def show_value(self, value: str, note: str = "", color: str | None = None) -> None:
        self.value.setText(value)
        self.value.setStyleSheet(f"color: {color};" if color else "")
        self.note.setText(note)


class WatchPage(DeskPage):
    def __init__(self, model: DeskModel, parent: QWidget | None = None) -> None:
        super().__init__(model, parent)
        t = model.t
        outer = QVBoxLayout(self)

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
        outer.addLayout(tiles)

        middle = QHBoxLayout()
        alerts_box = QGroupBox(t("alerts_title"))
        alerts = QVBoxLayout(alerts_box)
        self.alert_stack = QStackedWidget()
        self.alerts = QListWidget()
        self.alerts.setWordWrap(True)
        self.alerts_empty = empty_state(t("alerts_none"))
        self.alert_stack.addWidget(self.alerts)
        self.alert_stack.addWidget(self.alerts_empty)
        # the targets over the list's whole width: beside the button, a narrow box would
        # stand them one word a line and take the height the tables below need
        alerts.addWidget(label(t("targets_line", wait=round(model.targets.max_wait_min),
                                 pause=round(model.targets.max_pause_min)), role="hint"))
        alerts.addWidget(self.alert_stack, 1)
        self.ack = QPushButton(t("acknowledge"))
        alerts.addWidget(self.ack, 0, Qt.AlignmentFlag.AlignRight)
        middle.addWidget(alerts_box, 2)

        follow_box = QGroupBox(t("follow_title"))
        follow = QVBoxLayout(follow_box)
        self.follow = FollowUpPanel(model, with_day=True, short_days=True)
        follow.addWidget(self.follow)
        middle.addWidget(follow_box, 3)

        # the devices next to the alerts, as wide as their lines: the row below keeps the
        # whole width for the service and window names
        devices_box = QGroupBox(t("devices_title"))
        devices_layout = QVBoxLayout(devices_box)
        self.device_stack = QStackedWidget()
        self.devices = table([t("col_device"), t("col_part"), t("col_status")], stretch=2)
        self.device_stack.addWidget(self.devices)
        # a plain line, not the big empty state: this box is narrow when there is nothing in it
        self.devices_empty = label(t("devices_none"), role="hint")
        self.devices_empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.device_stack.addWidget(self.devices_empty)
        devices_layout.addWidget(self.device_stack)
        middle.addWidget(devices_box, 0)
        outer.addLayout(middle, 3)

        lower = self.lower_grid = QGridLayout()
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
        for widget in (self.services, self.windows):
            # a few lines of each always show, however the alerts above wrap
            widget.setMinimumHeight(widget.horizontalHeader().sizeHint().height()
                                    + 3 * widget.verticalHeader().defaultSectionSize()
                                    + 2 * widget.frameWidth())
        for layout in (services_layout, windows_layout, devices_layout):
            layout.setContentsMargins(0, 0, 0, 0)  # the box's own padding is enough: width
        lower.addWidget(services_box, 0, 0)
        lower.addWidget(windows_box, 0, 1)
        self.lower_tables = (self.services, self.windows)
        self._share_width()
        outer.addLayout(lower, 4)

        self.ack.clicked.connect(self._acknowledge)
        self.alerts.itemSelectionChanged.connect(self._ack_state)
        model.indicators_changed.connect(self.show_indicators)
        self.show_indicators(model.indicators)

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
            share = f"{(figures.satisfaction or 0) * 100:.0f}%"
            self.tile_ratings.show_value(
                share, t("ratings_note_one" if figures.rated == 1 else "ratings_note",
                         rated=figures.rated, bad=figures.ratings.get(1, 0)),
                RED if figures.ratings.get(1, 0) else GREEN)
        else:
            self.tile_ratings.show_value("-", t("ratings_none"))
        faults = [d for d in figures.devices if d.level != "ok"]
        self.tile_devices.show_value(str(len(faults)), t("devices_note", count=len(
            {d.device for d in figures.devices})), RED if faults else GREEN)

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
        self._share_width()

    def _share_width(self) -> None:
        """The two tables below share the width as their contents need it, not in fixed
        parts."""
        for c, widget in enumerate(self.lower_tables):
            self.lower_grid.setColumnStretch(c, max(1, natural_width(widget)))
        # the devices: as wide as their lines (or their "none yet" on two lines), no wider
        width = natural_width(self.devices)
        if self.device_stack.currentIndex() == 1:
            metrics = self.devices_empty.fontMetrics()
            width = max(width, metrics.horizontalAdvance(self.devices_empty.text()) // 2
                        + metrics.averageCharWidth() * 4)
        self.device_stack.setFixedWidth(width)

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
                state = f"{state}（{line.reason}）" if m.lang == "zh" else f"{state} ({line.reason})"
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

