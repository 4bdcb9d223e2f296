"""vorder: credit management (debiteurenbeheer) for the Netherlands and Belgium."""
