"""The staff dashboard: signing in (auth), one's own account (account), the team
(team), and the queue and its requests (views); all on one blueprint (blueprint)."""
