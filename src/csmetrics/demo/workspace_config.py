"""The demo workspace's csmetrics.yaml: the commented default plus the demo's pay plans.

The plans follow the CSM compensation plan of the source documents (a Sisense
walkthrough): net renewal weighted most, then CSAT, then adoption and proactiveness.
High-touch CSMs (Strategic, Corp Americas, Corp International) and the Scale team
have their own plan because a low-touch book books fewer meetings; managers are paid
on their team's numbers. The targets were set against the demo's history so a
typical quarter pays most people between nothing and the cap on each component.
"""

from __future__ import annotations

from csmetrics.config import default_config_text

_PLACEHOLDER = "  plans: {}\n"

DEMO_PLANS = """\
  plans:
    csm_high_touch:
      title: CSM variable pay (high touch)
      period: quarter
      # 30,000 a year, paid quarterly at 7,500 when every component is on target.
      on_target_pay: 7500
      proration: days_employed
      eligible:
        roles: [csm]
        teams: [Strategic, Corp Americas, Corp International]
      components:
        net_renewal:
          title: Net renewal (NRR)
          measure: nrr
          scope: individual
          weight: 0.5
          target: 1.0
          threshold: 0.95
          threshold_payout: 0.5
          accelerator: 3.0
          cap: 1.5
          # A CSM without a start cohort (a new book) is paid as on target.
          missing: target
        csat:
          title: Customer satisfaction (CSAT)
          measure: csat
          weight: 0.2
          target: 0.75
          threshold: 0.75
          threshold_payout: 0.5
          accelerator: 1.5
          cap: 1.25
          missing: exclude_and_reweight
        adoption:
          title: Team adoption (MAU vs the quarterly MAU expected outcome)
          measure: mau
          scope: team
          weight: 0.15
          target_source: targets_table
          threshold: 0.9
          threshold_payout: 0.5
          accelerator: 2.0
          cap: 1.5
          missing: exclude_and_reweight
        proactiveness:
          title: Proactiveness (next meeting scheduled)
          measure: next_meeting_scheduled
          weight: 0.15
          target: 0.45
          curve: [[0.5, 0.25], [1.0, 1.0], [1.5, 1.5]]
          missing: zero
    csm_scale:
      title: CSM variable pay (scale)
      period: quarter
      on_target_pay: 5000
      eligible:
        roles: [csm]
        teams: [Scale]
      components:
        net_renewal:
          title: Net renewal (NRR)
          measure: nrr
          weight: 0.5
          target: 1.0
          threshold: 0.95
          threshold_payout: 0.5
          accelerator: 3.0
          cap: 1.5
          missing: target
        csat:
          title: Customer satisfaction (CSAT)
          measure: csat
          weight: 0.2
          target: 0.75
          threshold: 0.75
          threshold_payout: 0.5
          accelerator: 1.5
          cap: 1.25
          missing: exclude_and_reweight
        adoption:
          title: Team adoption (MAU vs the quarterly MAU expected outcome)
          measure: mau
          scope: team
          weight: 0.15
          target_source: targets_table
          threshold: 0.9
          threshold_payout: 0.5
          accelerator: 2.0
          cap: 1.5
          missing: exclude_and_reweight
        proactiveness:
          title: Proactiveness (next meeting scheduled)
          measure: next_meeting_scheduled
          weight: 0.15
          # Low-touch books meet less often than high-touch ones.
          target: 0.25
          curve: [[0.5, 0.25], [1.0, 1.0], [1.5, 1.5]]
          missing: zero
    cs_managers:
      title: CS manager variable pay (team)
      period: quarter
      on_target_pay: 10000
      eligible:
        roles: [manager]
      components:
        team_net_renewal:
          title: Team net renewal (NRR)
          measure: nrr
          scope: team
          weight: 0.5
          target: 1.0
          threshold: 0.95
          threshold_payout: 0.5
          accelerator: 3.0
          cap: 1.5
          missing: target
        team_csat:
          title: Team CSAT
          measure: csat
          scope: team
          weight: 0.2
          target: 0.75
          threshold: 0.75
          threshold_payout: 0.5
          accelerator: 1.5
          cap: 1.25
          missing: exclude_and_reweight
        team_adoption:
          title: Team adoption (MAU vs the quarterly MAU expected outcome)
          measure: mau
          scope: team
          weight: 0.3
          target_source: targets_table
          threshold: 0.9
          threshold_payout: 0.5
          accelerator: 2.0
          cap: 1.5
          missing: exclude_and_reweight
"""


def demo_config_text() -> str:
    """The default template with the demo's ``compensation.plans`` in place of ``{}``."""
    text = default_config_text()
    section = text.find("\ncompensation:\n")
    at = text.find(_PLACEHOLDER, section)
    if section < 0 or at < 0:
        raise RuntimeError("the default config has no `compensation: plans: {}` to fill")
    return text[:at] + DEMO_PLANS + text[at + len(_PLACEHOLDER) :]
