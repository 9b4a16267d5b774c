"""Ticket lookup (reprint a lost ticket, reinstate a missed one, cancel) and announcements."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from counter.desk.model import ActionResult, DeskModel
from counter.desk.views_common import DeskPage, card, combo, label, set_role
from counter.desk.views_ticket import TicketPanel
from hub.i18n import tr, visible

PRESETS = ("preset_documents", "preset_lunch", "preset_closing", "preset_green")


class LookupPage(DeskPage):
    def __init__(self, model: DeskModel, parent: QWidget | None = None) -> None:
        super().__init__(model, parent)
        t = model.t
        outer = QHBoxLayout(self)

        left = QVBoxLayout()
        row = QHBoxLayout()
        self.number = QLineEdit()
        self.number.setPlaceholderText(t("lookup_placeholder"))
        self.number.setClearButtonEnabled(True)
        self.find_button = set_role(QPushButton(t("lookup")), "primary")
        row.addWidget(label(t("lookup_label"), wrap=False, bold=True))
        row.addWidget(self.number, 1)
        row.addWidget(self.find_button)
        left.addLayout(row)
        frame, inner = card()
        self.panel = TicketPanel(model, t("lookup_hint"))
        inner.addWidget(self.panel)
        left.addWidget(frame, 1)
        outer.addLayout(left, 3)

        missed_box = QGroupBox(t("missed_title"))
        missed = QVBoxLayout(missed_box)
        missed.addWidget(label(t("missed_hint"), role="hint"))
        self.missed = QListWidget()
        self.missed_empty = label(t("missed_empty"), role="hint")
        self.missed_empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        missed.addWidget(self.missed, 1)
        missed.addWidget(self.missed_empty, 1)
        outer.addWidget(missed_box, 1)

        self.find_button.clicked.connect(self._find)
        self.number.returnPressed.connect(self._find)
        self.missed.itemClicked.connect(self._missed_clicked)
        model.found.connect(self._found)
        model.changed.connect(self.refresh)
        model.busy_changed.connect(self.refresh)
        model.status_changed.connect(lambda _ok, _d: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        m = self.model
        self.find_button.setEnabled(m.can_act() and not m.busy("find"))
        if self.panel.ticket is None:
            self.panel.fill_targets()
        missed = m.missed()
        self.missed.clear()
        for ticket in missed:
            text = m.t("missed_line", number=ticket.get("number"),
                       service=m.service_name(ticket.get("service")),
                       window=ticket.get("window") or "-")
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, ticket.get("number"))
            self.missed.addItem(item)
        self.missed.setVisible(bool(missed))
        self.missed_empty.setVisible(not missed)

    def _find(self) -> None:
        self.model.lookup(self.number.text())

    def _missed_clicked(self, item: QListWidgetItem) -> None:
        number = str(item.data(Qt.ItemDataRole.UserRole))
        self.number.setText(number)
        self.model.lookup(number)

    def _found(self, ticket: dict[str, Any] | None) -> None:
        self.panel.fill_targets()
        self.panel.set_ticket(ticket)


class AnnouncePage(DeskPage):
    def __init__(self, model: DeskModel, parent: QWidget | None = None) -> None:
        super().__init__(model, parent)
        t = model.t
        outer = QHBoxLayout(self)

        left = QVBoxLayout()
        box = QGroupBox(t("announce_title"))
        form = QVBoxLayout(box)
        form.addWidget(label(t("announce_hint"), role="hint"))
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText(t("announce_placeholder"))
        form.addWidget(self.text, 1)
        row = QHBoxLayout()
        self.lang = combo([(t(f"lang_{lang}"), lang) for lang in model.languages()])
        self.lang.setCurrentIndex(max(0, self.lang.findData(model.lang)))
        self.send = set_role(QPushButton(t("announce")), "primary")
        row.addWidget(label(t("announce_lang"), wrap=False))
        row.addWidget(self.lang)
        row.addStretch(1)
        row.addWidget(self.send)
        form.addLayout(row)
        left.addWidget(box, 2)

        presets = QGroupBox(t("presets_title"))
        preset_layout = QVBoxLayout(presets)
        self.preset_buttons: list[QPushButton] = []
        for key in PRESETS:
            button = QPushButton(t(key))
            button.setStyleSheet("text-align: left;")
            button.clicked.connect(lambda _c=False, k=key: self._preset(k))
            preset_layout.addWidget(button)
            self.preset_buttons.append(button)
        left.addWidget(presets, 1)
        outer.addLayout(left, 3)

        recent_box = QGroupBox(t("recent_announcements"))
        recent = QVBoxLayout(recent_box)
        self.recent = QListWidget()
        self.recent.setWordWrap(True)
        self.recent_empty = label(t("announcements_none"), role="hint")
        self.recent_empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        recent.addWidget(self.recent, 1)
        recent.addWidget(self.recent_empty)
        outer.addWidget(recent_box, 2)

        self.send.clicked.connect(self._send)
        self.lang.currentIndexChanged.connect(self._language_chosen)
        self.text.textChanged.connect(self.refresh)
        model.announced.connect(lambda _a: self.refresh())
        model.busy_changed.connect(self.refresh)
        model.status_changed.connect(lambda _ok, _d: self.refresh())
        model.result.connect(self._on_result)
        self.refresh()

    def _preset(self, key: str) -> None:
        lang = str(self.lang.currentData() or self.model.lang)
        self.text.setPlainText(tr(lang, f"desk.{key}"))

    def _language_chosen(self) -> None:
        """A preset taken in one language, then the other language chosen: the preset in that
        one (the text would go out tagged with a language it is not in, for the voice of the
        other to read)."""
        lang = str(self.lang.currentData() or self.model.lang)
        text = self.text.toPlainText()
        for key in PRESETS:
            if text and text in {tr(other, f"desk.{key}") for other in self.model.languages()}:
                self.text.setPlainText(tr(lang, f"desk.{key}"))
                return

    def _send(self) -> None:
        lang = self.lang.currentData()
        self.model.announce(self.text.toPlainText(), str(lang) if lang else None)

    def _on_result(self, result: ActionResult) -> None:
        if result.op == "announce" and result.ok:
            self.text.clear()

    def refresh(self) -> None:
        m = self.model
        self.send.setEnabled(m.can_act() and not m.busy("announce")
                             and visible(self.text.toPlainText()))
        self.recent.clear()
        for item in m.announcements:
            lang = m.t(f"lang_{item.get('lang')}") if item.get("lang") else ""
            self.recent.addItem(f"{m.local_time(item.get('at'))}  [{lang}]  {item.get('text')}")
        self.recent.setVisible(bool(m.announcements))
        self.recent_empty.setVisible(not m.announcements)

