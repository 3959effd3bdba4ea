"""IR → IR passes. Only ``ingress2gw.pipeline`` knows their order."""
