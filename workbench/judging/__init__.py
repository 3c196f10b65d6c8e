"""What people think of answers: ratings, blind rating, pairwise votes, the review queue, agreement, rankings and feedback summaries."""
