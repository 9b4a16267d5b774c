"""The guidance desk console (咨询导办台, ``hall-desk``).

Staff near the entrance issue tickets on a citizen's behalf (green channel too), move a ticket to
the right service, give priority, reinstate a missed number, cancel, reprint a lost ticket, check
in appointments and make announcements; the hall manager watches live indicators and alerts
(电子监察) and draws reports.

    indicators.py   pure: the hall's live figures and alerts, from snapshot + events + a clock
    periods.py      pure: report periods (day .. year, custom)
    report_table.py pure: report figures as rows, and their CSV
    reprint.py      a ticket as the kiosk prints it, printed off the GUI thread
    model.py        the view-model: state and commands, no widgets
    views.py        the console's window: header, hub status, tabs, the result line
    views_*.py      its pages (queue, issue, lookup and announce, watch, reports), the ticket
                    panel and the shared look (views_common): widgets that only wire signals
    errors.py       DeskError and its children
    main.py         ``hall-desk`` command line
"""
