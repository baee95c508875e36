"""Fake seller on a marketplace or social media. A fraudster advertises a phone, furniture, a
motorbike or clothes at a low price (an "army officer" on OLX or Facebook Marketplace who has
been transferred and must sell quickly, a shop page on Instagram) and asks the buyer for an
advance by UPI before delivery: a transfer to the "seller's" own UPI address (an account opened
a few weeks earlier, or an existing account rented for a commission), or a payment by a QR code
sent over chat, which may belong to a small online merchant the fraudster onboarded through an
aggregator. Part of the time a second demand follows within hours or a day or two, for
"delivery", "GST", "army canteen" or "insurance" charges, smaller than the advance and to the
same payee. The buyer pays from their own phone, at home, by their usual UPI app; nothing is
ever delivered, and the buyer complains only after waiting for the goods for several days, so
the label is known a delivery wait plus the usual report delay after the last payment. The
amount is the advance on what such goods cost: the upper part of what the category's genuine
purchases cost, within UPI's limits. The bank's rules decline few such payments (an
ordinary-looking transfer). Sources: Odisha Police's advisory on fraudsters posing as army
personnel who sell phones, cars and bikes online and "extract money from the victims as advance
payments through delivery charges" (Orissa Post, 31 December 2019,
https://www.orissapost.com/advisory-to-thwart-m-wallet-fraud/); Kashmir Cyber Police's advisory
(QR codes sent for payment, "GST, shipment charges and delay taxes";
https://www.greaterkashmir.com/news/srinagar/cyber-police-issue-advisory-as-online-fraud-complaints-galore/);
Hyderabad's three police commissionerates, 3,838 OLX fraud complaints in 2019 with losses of INR
13.4 crore, about INR 35,000 a complaint (Siasat, 15 February 2020,
https://www.siasat.com/olx-frauds-rise-cyber-crime-cops-cautions-1827235/).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fraudforge.engine import market as mkt
from fraudforge.engine.fraud.build import clip_to_period, expand, label, make_rows
from fraudforge.engine.fraud.parts import Parts
from fraudforge.engine.fraud.record import (
    HOURS_ONLINE,
    WEEKDAYS_WEEKEND,
    FraudPattern,
    Susceptibility,
)
from fraudforge.engine.rows import Rows

if TYPE_CHECKING:
    from fraudforge.engine.context import ShardContext

GOODS = ("electronics", "home_furnishing", "apparel")
GOODS_P = (0.5, 0.2, 0.3)
"""What the fake seller offers: phones and gadgets (and vehicles, paid as a token advance),
furniture, and clothes from a social-media shop."""
PRICE_QUANTILES = (0.6, 0.98)
"""The advance is drawn from this part of the category's genuine amount model (the dearer
goods the ads lure with)."""
SECOND_SHARE = 0.35
"""Incidents with a second demand (delivery, GST, insurance)."""
SECOND_OF_FIRST = (0.1, 0.6)
SECOND_AFTER_H = (0.5, 48.0)
MERCHANT_SHARE = 0.3
"""Incidents paid by the QR of a small online merchant the fraudster onboarded (the rest to a
person's UPI address, by a transfer or a personal QR)."""
PERSONAL_QR_SHARE = 0.35
"""Transfers to a person made by scanning the QR code the "seller" sent."""
HANDLE_DAYS = 90.0
"""The seller's UPI address is at most this old when the account was opened for the scam."""
RENTED_SHARE = 0.4
"""Sellers paid into an existing account rented for a commission (an address of any age)."""
DELIVERY_WAIT_DAYS = 6.0
"""Mean days the buyer waits for the goods before complaining (on top of the usual delay)."""
RISK = 0.03
"""Share of payments the bank's rules decline."""


def build(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """The rows of a shard's parts of this pattern."""
    from fraudforge.engine.fraud.mechanics import category_amounts, settle, transfer_amounts
    from fraudforge.engine.session import YOUNG_MERCHANT_TRIES, young_merchants, young_payees

    rng = ctx.rng
    n = len(parts)
    k = 1 + (rng.random(n) < SECOND_SHARE)
    part, pos = expand(k.astype(np.int64))
    goods = rng.choice([mkt.CAT[c] for c in GOODS], size=n, p=GOODS_P)
    scale = ctx.customers.amount_scale[ctx.local(parts.cust)]
    advance = category_amounts(rng, goods, scale, lo=PRICE_QUANTILES[0], hi=PRICE_QUANTILES[1])
    advance = np.minimum(advance, mkt.CAT_UPI_LIMIT[goods] * rng.uniform(0.5, 1.0, n))
    second = advance[part] * rng.uniform(*SECOND_OF_FIRST, part.size)
    want = np.where(pos == 0, advance[part], second)
    later = (rng.uniform(*SECOND_AFTER_H, part.size) * 3_600).astype(np.int64)
    ts = parts.t0[part] + np.where(pos == 0, 0, later)
    shop = rng.random(n) < MERCHANT_SHARE
    rented = rng.random(n) < RENTED_SHARE
    payee = np.where(
        rented,
        young_payees(ctx, parts.t0, np.inf, parts.cust),
        young_payees(ctx, parts.t0, HANDLE_DAYS, parts.cust),
    )
    merchant = np.where(
        shop,
        young_merchants(ctx, parts.t0, np.repeat(goods[:, None], YOUNG_MERCHANT_TRIES, axis=1)),
        -1,
    )[part]
    on_shop = shop[part]
    qr = on_shop | (rng.random(n) < PERSONAL_QR_SHARE)[part]
    rows = make_rows(
        ctx,
        cust=parts.cust[part],
        ts=clip_to_period(ctx, ts),
        amount=np.where(on_shop, np.maximum(np.round(want), 1.0), transfer_amounts(rng, want)),
        mode=np.full(part.size, mkt.MODE["upi"]),
        category=np.where(on_shop, goods[part], mkt.CAT["p2p"]),
        online=np.ones(part.size, dtype=bool),
        merchant=np.where(on_shop, merchant, -1),
        txn_type=np.where(on_shop, mkt.TXN["purchase"], mkt.TXN["p2p_transfer"]),
        payee=payee[part],
    )
    rows["upi_via"] = np.where(qr, mkt.UPI_INITIATION["qr"], mkt.UPI_INITIATION["pay"])
    settle(ctx, rows, risk=RISK)
    return label(
        ctx, rows, parts, part, delay_days=ctx.scenario.label_delay_days + DELIVERY_WAIT_DAYS
    )


PATTERN = FraudPattern(
    name="fake_seller",
    code=22,
    description=__doc__ or "",
    weight=0.03,
    mean_rows=1.0 + SECOND_SHARE,
    targets=("buyers on classifieds and social-media shops: younger, active online shoppers most"),
    build=build,
    hours=HOURS_ONLINE,
    weekdays=WEEKDAYS_WEEKEND,
    span_days=2.0,
    susceptibility=Susceptibility(
        age=(1.4, 1.3, 0.9, 0.5), savviness=(1.3, 1.0, 0.8), activity=0.5, vulnerability=1.0
    ),
)
