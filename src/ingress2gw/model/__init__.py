"""The neutral intermediate model (IR). It imports nothing from providers or emitters."""

from ingress2gw.model.ir import *  # noqa: F401,F403
from ingress2gw.model.ir import __all__  # noqa: F401
