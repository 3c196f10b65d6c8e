"""The rating control shared by Review and Compare, and the charts of ratings (leaderboard, scores, tags)."""
