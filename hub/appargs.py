"""Command-line pieces every app shares: where the hub is and who the device is
(``--hub ws://HOST:PORT/ --device NAME --token TOKEN``, or ``--device-file FILE``)."""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import replace
from typing import NoReturn
from urllib.parse import urlsplit

from websockets.exceptions import InvalidURI
from websockets.uri import parse_uri

from hub.client import DeviceSettings
from hub.errors import HubError
from hub.protocol import DEFAULT_PORT

DEFAULT_HUB = f"ws://127.0.0.1:{DEFAULT_PORT}/"


class AppParser(argparse.ArgumentParser):
    """An app's command line. A mistake in it is one plain line (docs/config.md: a one-shot run
    that fails prints one line saying what is wrong), not argparse's usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def add_bus_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("hub connection")
    group.add_argument("--hub", help=f"the hub's bus address (default {DEFAULT_HUB})")
    group.add_argument("--device", help="this device's enrolled name")
    group.add_argument("--token", help="this device's token (from hall-hub device add)")
    group.add_argument("--device-file", help="a TOML file with hub, device and token "
                       "(and ca_file)")
    group.add_argument("--ca-file", help="for a wss:// hub: the PEM file of the certificate to "
                       "trust (the hub's own, or the hall's CA); default: the system's")
    group.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                       help="default INFO; WARNING for a one-shot run, whose output is its "
                            "result or one line saying what is wrong")


def settings_from_args(args: argparse.Namespace, roles: tuple[str, ...] = ()) -> DeviceSettings:
    """The device's settings (for an app working as one of ``roles``: any if none); raises
    HubError saying what is missing."""
    if args.device_file:
        settings = DeviceSettings.from_file(args.device_file, {
            "hub": args.hub, "device": args.device, "token": args.token,
            "ca_file": args.ca_file})
    elif not args.device or not args.token:
        raise HubError("say who this device is: --device NAME --token TOKEN, or --device-file FILE")
    else:
        settings = DeviceSettings(args.hub or DEFAULT_HUB, args.device, args.token, args.ca_file)
    if not settings.hub.startswith(("ws://", "wss://")):
        raise HubError(f"the hub must be a ws:// or wss:// address, not '{settings.hub}'")
    check_address(settings.hub)
    if settings.ca_file and not settings.hub.startswith("wss://"):
        raise HubError(f"a certificate file (--ca-file, or ca_file in the device file) is for a "
                       f"wss:// hub; {settings.hub} is not one")
    settings.tls()  # a certificate file that cannot be used: said now, in one line
    return replace(settings, roles=roles)


def check_address(hub: str) -> None:
    """HubError if ``hub`` (a ws:// or wss:// address) cannot be connected to as written: a
    port out of range or not a number, no host, a bracket left open."""
    try:
        parts = urlsplit(hub)
        if parts.port == 0:
            raise ValueError("Port 0")
        host = parts.hostname
        parse_uri(hub)
    except (ValueError, InvalidURI) as err:
        reason = str(err).split(" isn't a valid URI: ")[-1]
        if reason.startswith("Port"):
            reason = "its port is not a number from 1 to 65535"
        raise HubError(f"the hub address '{hub}' cannot be used ({reason[:1].lower()}"
                       f"{reason[1:]}): write it as ws://HOST:PORT/") from None
    if not host:
        raise HubError(f"the hub address '{hub}' names no host: write it as ws://HOST:PORT/")


def setup_logging(level: str | None, *, one_shot: bool = False) -> None:
    level = level or ("WARNING" if one_shot else "INFO")
    # force: python-escpos calls logging.basicConfig() when it is imported
    logging.basicConfig(level=level, stream=sys.stderr, force=True,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def fail(prog: str, message: str, code: int = 2) -> int:
    """The one plain line a one-shot run prints when something is wrong."""
    print(f"{prog}: {message}", file=sys.stderr)
    return code
