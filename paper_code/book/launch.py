"""Links that open the book's notebooks elsewhere, written only when the book knows the repository it is published
from (``book/build.py --repository``, or GITHUB_REPOSITORY on GitHub Actions): a link to an unknown place would be
a dead one."""

from __future__ import annotations

from urllib.parse import quote

from paper_code.book.markdown import Markdown

BINDER = "https://mybinder.org/v2/gh"
#: The Voilà dashboard, as Binder serves it: the notebook rendered by Voilà, its widgets live.
DASHBOARD = "voila/render/dashboard/explore.ipynb"


def binder_dashboard_url(repository: str, branch: str = "main") -> str:
    """The address that builds ``repository`` (owner/name) on Binder and opens the live dashboard in Voilà."""
    return f"{BINDER}/{repository}/{branch}?urlpath={quote(DASHBOARD, safe='')}"


def binder_dashboard_link(repository: str | None, branch: str = "main") -> Markdown | None:
    """A sentence with the Binder link to the live dashboard; ``None`` when the repository is not known, so the
    page's cell shows nothing rather than an empty output box."""
    if not repository:
        return None
    return Markdown(f"Or open the [live dashboard on Binder]({binder_dashboard_url(repository, branch)}): Binder "
                    "builds this repository's environment (a few minutes the first time) and serves the dashboard "
                    "with a Python kernel, so its controls really redraw.")
