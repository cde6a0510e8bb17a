"""``python -m nlu.train`` (``make nlu-train``): train the embedded model into var/nlu-model.pkl.

The service loads that file at start-up while its fingerprint matches the data and code, so
workers start in milliseconds; without it they train in memory, which takes about a second.
"""

from __future__ import annotations

from nlu.embedded import ARTEFACT, EmbeddedNLU, fingerprint


def main() -> int:
    model = EmbeddedNLU.train()
    model.fingerprint = fingerprint()
    model.save(ARTEFACT)
    size = ARTEFACT.stat().st_size / 1e6
    print(f"trained on {model.info['examples']} examples in {model.train_seconds:.2f} s; "
          f"wrote {ARTEFACT} ({size:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
