"""What a reader sees: ``plots`` (matplotlib figures that return the numbers they drew)
and ``explorers`` (the labs' interactive widgets). Views compute nothing of their own:
they draw what the reference equations and the models give them."""
