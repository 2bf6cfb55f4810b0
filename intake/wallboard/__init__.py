"""The wallboard: a read-only screen of the queue's numbers for a room, the third
audience beside visitors (intake.public) and signed-in staff (intake.staff).

A screen is paired by a cookie that a supervisor's action on the Team page sets
(intake.staff.team, with intake.wallboard.cookie); its pages (views.py) ask for no
staff sign-in and show counts and times only. The rules are in
intake.domain.wallboards.
"""
