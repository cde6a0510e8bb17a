"""SMS through Africa's Talking: outbound sends now; the inbound channel comes with issue 4."""
