"""The service's metadata: the WSDL at ``/sms.svc?wsdl``, its import ``?wsdl=wsdl0``, the schemas
``?xsd=xsd0`` to ``xsd3`` and ``?disco``, equivalent to CDYNE's, with every address naming the fake.

The schemas are templates beside this file; the WSDL is written from the operation table
(``sms2.py``): its messages, port type and bindings name each operation and its SOAP action.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from ..model import SMSError
from ..sms2 import SMS2

XSD_NAMES = ("xsd0", "xsd1", "xsd2", "xsd3")

_NAMESPACES = (
    'xmlns:wsap="http://schemas.xmlsoap.org/ws/2004/08/addressing/policy" '
    'xmlns:wsa10="http://www.w3.org/2005/08/addressing" xmlns:tns="{tns}" '
    'xmlns:msc="http://schemas.microsoft.com/ws/2005/12/wsdl/contract" '
    'xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:wsx="http://schemas.xmlsoap.org/ws/2004/09/mex" '
    'xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" '
    'xmlns:i0="{other}" xmlns:wsam="http://www.w3.org/2007/05/addressing/metadata" '
    'xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
    'xmlns:wsaw="http://www.w3.org/2006/05/addressing/wsdl" '
    'xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/" '
    'xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd" '
    'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"'
)

_POLICIES = """  <wsp:Policy wsu:Id="sms2SOAPbasicHttpsBinding_policy">
    <wsp:ExactlyOne>
      <wsp:All>
        <sp:TransportBinding xmlns:sp="http://schemas.xmlsoap.org/ws/2005/07/securitypolicy">
          <wsp:Policy>
            <sp:TransportToken>
              <wsp:Policy><sp:HttpsToken RequireClientCertificate="false" /></wsp:Policy>
            </sp:TransportToken>
            <sp:AlgorithmSuite><wsp:Policy><sp:Basic256 /></wsp:Policy></sp:AlgorithmSuite>
            <sp:Layout><wsp:Policy><sp:Strict /></wsp:Policy></sp:Layout>
          </wsp:Policy>
        </sp:TransportBinding>
      </wsp:All>
    </wsp:ExactlyOne>
  </wsp:Policy>
  <wsp:Policy wsu:Id="sms2wsHttpBinding_policy">
    <wsp:ExactlyOne>
      <wsp:All>
        <wsaw:UsingAddressing />
      </wsp:All>
    </wsp:ExactlyOne>
  </wsp:Policy>
"""


@cache
def _template(name: str) -> str:
    return (Path(__file__).parent / f"{name}.xsd").read_text(encoding="utf-8")


def schema(name: str, base: str) -> str:
    """``?xsd=<name>``; ``base`` is the service's URL, e.g. ``http://127.0.0.1:8080/sms.svc``.
    Byte for byte CDYNE's document but for the addresses (WCF ends it without a newline)."""
    text = _template(name).rstrip("\n").replace("{base}", base)
    errors = "\n".join(
        f'      <xs:enumeration value="{e.name}" />' for e in SMSError if e is not SMSError.AssignedDIDRequired
    )
    return text.replace("{errors}", errors)


def _binding(name: str, soap: str, policy: bool) -> str:
    lines = [f'  <wsdl:binding name="{name}" type="tns:Isms">']
    if policy:
        lines.append(f'    <wsp:PolicyReference URI="#{name}_policy" />')
    lines.append(f'    <{soap}:binding transport="http://schemas.xmlsoap.org/soap/http" />')
    for op in SMS2:
        lines += [
            f'    <wsdl:operation name="{op.name}">',
            f'      <{soap}:operation soapAction="{SMS2.action(op)}" style="document" />',
            f'      <wsdl:input>\n        <{soap}:body use="literal" />\n      </wsdl:input>',
            f'      <wsdl:output>\n        <{soap}:body use="literal" />\n      </wsdl:output>',
            "    </wsdl:operation>",
        ]
    lines.append("  </wsdl:binding>")
    return "\n".join(lines) + "\n"


def main_wsdl(base: str, secure_base: str) -> str:
    """``?wsdl``: messages, the Isms port type, three bindings and the service ``sms``."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n',
        f"<wsdl:definitions {_NAMESPACES.format(tns='http://sms2.cdyne.com', other='https://sms2.cdyne.com')} "
        'name="sms" targetNamespace="http://sms2.cdyne.com">\n',
        _POLICIES,
        f'  <wsdl:import namespace="https://sms2.cdyne.com" location="{base}?wsdl=wsdl0" />\n',
        '  <wsdl:types>\n    <xsd:schema targetNamespace="http://sms2.cdyne.com/Imports">\n',
    ]
    namespaces = (
        "http://sms2.cdyne.com", "http://schemas.microsoft.com/2003/10/Serialization/",
        "http://schemas.datacontract.org/2004/07/SmsWS", "http://schemas.microsoft.com/2003/10/Serialization/Arrays",
    )  # fmt: skip
    parts += [
        f'      <xsd:import schemaLocation="{base}?xsd={name}" namespace="{ns}" />\n'
        for name, ns in zip(XSD_NAMES, namespaces, strict=True)
    ]
    parts.append("    </xsd:schema>\n  </wsdl:types>\n")
    for name in SMS2.names:
        for direction, element in (("Input", name), ("Output", f"{name}Response")):
            parts.append(
                f'  <wsdl:message name="Isms_{name}_{direction}Message">\n'
                f'    <wsdl:part name="parameters" element="tns:{element}" />\n  </wsdl:message>\n'
            )
    parts.append('  <wsdl:portType name="Isms">\n')
    for op in SMS2:
        name, action = op.name, SMS2.action(op)
        parts.append(
            f'    <wsdl:operation name="{name}">\n'
            f'      <wsdl:input wsaw:Action="{action}" message="tns:Isms_{name}_InputMessage" />\n'
            f'      <wsdl:output wsaw:Action="{action}Response" message="tns:Isms_{name}_OutputMessage" />\n'
            "    </wsdl:operation>\n"
        )
    parts.append("  </wsdl:portType>\n")
    parts.append(_binding("sms2SOAPbasicHttpBinding", "soap", policy=False))
    parts.append(_binding("sms2SOAPbasicHttpsBinding", "soap", policy=True))
    parts.append(_binding("sms2wsHttpBinding", "soap12", policy=True))
    parts.append(
        '  <wsdl:service name="sms">\n'
        '    <wsdl:port name="sms2SOAPbasicHttpBinding" binding="tns:sms2SOAPbasicHttpBinding">\n'
        f'      <soap:address location="{base}/Soap" />\n    </wsdl:port>\n'
        '    <wsdl:port name="sms2SOAPbasicHttpsBinding" binding="tns:sms2SOAPbasicHttpsBinding">\n'
        f'      <soap:address location="{secure_base}/SecureSoap" />\n    </wsdl:port>\n'
        '    <wsdl:port name="sms2wsHttpBinding" binding="tns:sms2wsHttpBinding">\n'
        f'      <soap12:address location="{base}/WS" />\n'
        f"      <wsa10:EndpointReference>\n        <wsa10:Address>{base}/WS</wsa10:Address>\n"
        "      </wsa10:EndpointReference>\n    </wsdl:port>\n  </wsdl:service>\n</wsdl:definitions>"
    )
    return "".join(parts)


def wsdl0(base: str) -> str:
    """``?wsdl=wsdl0``: the https namespace's definitions, which only import the main WSDL."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f"<wsdl:definitions {_NAMESPACES.format(tns='https://sms2.cdyne.com', other='http://sms2.cdyne.com')} "
        'targetNamespace="https://sms2.cdyne.com">\n'
        f'  <wsdl:import namespace="http://sms2.cdyne.com" location="{base}?wsdl" />\n'
        "  <wsdl:types />\n</wsdl:definitions>"
    )


def disco(base: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<discovery xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns="http://schemas.xmlsoap.org/disco/">\n'
        f'  <contractRef ref="{base}?wsdl" docRef="{base}" xmlns="http://schemas.xmlsoap.org/disco/scl/" />\n'
        "</discovery>"
    )
