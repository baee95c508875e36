"""Imported first by ``fraudforge.analytics``: without plotly (the ``analytics`` extra) the
package is refused with the install line, not a bare ImportError from deep in a chart."""

from fraudforge.foundation.extras import require

require("plotly", "analytics", "fraudforge.analytics (the report and its charts)")
