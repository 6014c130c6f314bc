"""Networks and collaboration groups: member schools, gatherings, minutes and what each school carried back."""
