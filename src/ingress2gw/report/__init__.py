"""Findings: the diagnostic catalog, the Report that collects findings, and their renderings."""

from ingress2gw.report.codes import Code, Severity, Status
from ingress2gw.report.findings import Finding, ObjectRef, Report

__all__ = ["Code", "Finding", "ObjectRef", "Report", "Severity", "Status"]
