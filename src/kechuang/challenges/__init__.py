"""揭榜挂帅 and 赛马: challenges from need to acceptance, parallel teams, milestone tranches and the pool ledger."""
