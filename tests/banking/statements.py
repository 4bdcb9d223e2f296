"""Small, consistent bank statements for the trade's scenarios (camt.053.001.02 XML)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from xml.sax.saxutils import escape

OUR_IBAN = "NL91ABNA0417164300"  # the creditor factory's own account


@dataclass
class Tx:
    amount: str  # signed: money in positive
    end_to_end: str = ""
    name: str = ""
    iban: str = ""
    remittance: str = ""
    reference: str = ""  # a structured creditor reference (SCOR)
    ref: str = ""  # the bank's own reference of the transaction
    return_reason: str = ""  # RtrInf/Rsn/Cd: a returned direct debit


@dataclass
class Entry:
    amount: str  # signed booked amount
    booked: str = "2024-03-01"
    ref: str = ""  # AcctSvcrRef
    txs: list[Tx] = field(default_factory=list)
    currency: str = ""  # the statement's
    reversal: bool = False
    code: str = "PMNT/RCDT/ESCT"
    batch_ref: str = ""  # Btch/PmtInfId: the payment information block of our own collection


def camt053(
    entries: list[Entry],
    *,
    opening: str,
    closing: str | None = None,
    iban: str = OUR_IBAN,
    currency: str = "EUR",
    statement_id: str = "STMT-1",
    start: str = "2024-03-01",
    end: str = "2024-03-01",
) -> bytes:
    if closing is None:
        closing = str(Decimal(opening) + sum((Decimal(e.amount) for e in entries), Decimal(0)))
    body = "".join(_entry(e, currency) for e in entries)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
<BkToCstmrStmt>
<GrpHdr><MsgId>MSG-{statement_id}</MsgId><CreDtTm>{end}T18:00:00</CreDtTm></GrpHdr>
<Stmt>
<Id>{statement_id}</Id><ElctrncSeqNb>1</ElctrncSeqNb><CreDtTm>{end}T18:00:00</CreDtTm>
<FrToDt><FrDtTm>{start}T00:00:00</FrDtTm><ToDtTm>{end}T23:59:59</ToDtTm></FrToDt>
<Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>{currency}</Ccy></Acct>
{_balance("OPBD", opening, currency, start)}
{_balance("CLBD", closing, currency, end)}
{body}
</Stmt>
</BkToCstmrStmt>
</Document>""".encode()


def _balance(code: str, amount: str, currency: str, day: str) -> str:
    value = Decimal(amount)
    mark = "DBIT" if value < 0 else "CRDT"
    return (
        f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
        f'<Amt Ccy="{currency}">{abs(value)}</Amt><CdtDbtInd>{mark}</CdtDbtInd>'
        f"<Dt><Dt>{day}</Dt></Dt></Bal>"
    )


def _entry(entry: Entry, statement_currency: str) -> str:
    currency = entry.currency or statement_currency
    value = Decimal(entry.amount)
    mark = "DBIT" if value < 0 else "CRDT"
    domain, family, sub = entry.code.split("/")
    details = "".join(_tx(tx, currency, len(entry.txs) > 1) for tx in entry.txs)
    batch = ""
    if len(entry.txs) > 1 or entry.batch_ref:
        pmt_inf = f"<PmtInfId>{entry.batch_ref}</PmtInfId>" if entry.batch_ref else ""
        batch = f"<Btch>{pmt_inf}<NbOfTxs>{len(entry.txs)}</NbOfTxs></Btch>"
    return (
        f'<Ntry><Amt Ccy="{currency}">{abs(value)}</Amt><CdtDbtInd>{mark}</CdtDbtInd>'
        f"<RvslInd>{'true' if entry.reversal else 'false'}</RvslInd><Sts>BOOK</Sts>"
        f"<BookgDt><Dt>{entry.booked}</Dt></BookgDt><ValDt><Dt>{entry.booked}</Dt></ValDt>"
        + (f"<AcctSvcrRef>{entry.ref}</AcctSvcrRef>" if entry.ref else "")
        + f"<BkTxCd><Domn><Cd>{domain}</Cd><Fmly><Cd>{family}</Cd><SubFmlyCd>{sub}</SubFmlyCd>"
        "</Fmly></Domn></BkTxCd>"
        f"<NtryDtls>{batch}{details}</NtryDtls></Ntry>"
    )


def _tx(tx: Tx, currency: str, with_amount: bool) -> str:
    value = Decimal(tx.amount)
    refs = "".join(
        f"<{tag}>{escape(value_)}</{tag}>"
        for tag, value_ in (("AcctSvcrRef", tx.ref), ("EndToEndId", tx.end_to_end))
        if value_
    )
    amount = (
        f'<AmtDtls><TxAmt><Amt Ccy="{currency}">{abs(value)}</Amt></TxAmt></AmtDtls>'
        if with_amount
        else ""
    )
    party = ""
    if tx.name or tx.iban:
        role = "Dbtr" if value > 0 or tx.return_reason else "Cdtr"
        party = (
            f"<RltdPties><{role}><Nm>{escape(tx.name)}</Nm></{role}>"
            f"<{role}Acct><Id><IBAN>{tx.iban}</IBAN></Id></{role}Acct></RltdPties>"
        )
    remittance = ""
    if tx.remittance or tx.reference:
        remittance = "<RmtInf>"
        if tx.remittance:
            remittance += f"<Ustrd>{escape(tx.remittance)}</Ustrd>"
        if tx.reference:
            remittance += (
                "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>"
                f"<Ref>{tx.reference}</Ref></CdtrRefInf></Strd>"
            )
        remittance += "</RmtInf>"
    returned = (
        f"<RtrInf><Rsn><Cd>{tx.return_reason}</Cd></Rsn></RtrInf>" if tx.return_reason else ""
    )
    return f"<TxDtls><Refs>{refs}</Refs>{amount}{party}{remittance}{returned}</TxDtls>"
