"""Pure domain rules: dates, audit time, nonconformity states. Standard library and dateutil
only; no Flask, no database."""
