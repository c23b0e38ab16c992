"""Challenge pages: public (no account), the bureau's board and challenge pages, the solver's portal, the
issuer's view, and the experts' review links. Views only check the role, validate and call services/selectors."""
