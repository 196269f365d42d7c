"""Clients in other languages, run for real with the machine's runtimes: CDYNE's own Java sample
(verbatim but for the URLs and key), Java's java.net.http.HttpClient as it comes (asking to upgrade to
HTTP/2 over http://), Node's fetch, and Perl's HTTP::Tiny posting the empty elements Perl clients always
send. Each is skipped where its runtime is not installed."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from fake_cdyne import FakeCdyneClient, PostbackReceiver

from .conftest import DATA


def run(command: list[str], cwd: Path) -> str:
    if shutil.which(command[0]) is None:
        pytest.skip(f"{command[0]} is not installed")
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{command}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_cdynes_java_sample(client: FakeCdyneClient, receiver: PostbackReceiver, tmp_path: Path) -> None:
    source = (DATA / "seed-clients" / "SimpleSMSSendWithPostBack.java").read_text()
    source = (
        source.replace("http://sms2.cdyne.com", client.url)
        .replace("http://www.yourpostbackurl.com", f"{receiver.url}/java")
        .replace("YOUR LICENSE KEY", client.license_key)
    ) + "}\n"  # CDYNE's page lost the class's closing brace
    (tmp_path / "SimpleSMSSendWithPostBack.java").write_text(source)
    printed = run(["java", "SimpleSMSSendWithPostBack.java"], tmp_path)
    assert "**** Response ******" in printed
    assert "<SMSError>NoError</SMSError>" in printed
    sent = client.assert_sent(to="15551234567", message="JAVA Test")
    (post,) = receiver.wait_for(1, timeout=10)
    assert (post.path, post.form["SMSSent"], post.form["MessageID"]) == ("/java", "1", sent.message_id)
    (request,) = client.requests
    assert request.header("Accept") == "text/html, image/gif, image/jpeg, */*; q=0.2"  # Java's own default


JAVA_HTTP_CLIENT = r"""
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

public class Send {
    public static void main(String[] args) throws Exception {
        String body = "<SMSAdvancedRequest xmlns=\"http://schemas.datacontract.org/2004/07/SmsWS\">"
            + "<LicenseKey>" + args[1] + "</LicenseKey><SMSRequests><SMSRequest><Message>Hi from HttpClient</Message>"
            + "<PhoneNumbers><string xmlns=\"http://schemas.microsoft.com/2003/10/Serialization/Arrays\">"
            + "7575449510</string></PhoneNumbers></SMSRequest></SMSRequests></SMSAdvancedRequest>";
        HttpRequest request = HttpRequest.newBuilder(URI.create(args[0] + "/AdvancedSMSsend"))
            .header("Content-Type", "text/xml")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
        HttpResponse<String> reply = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        System.out.println(reply.statusCode() + " " + reply.version());
        System.out.println(reply.body());
    }
}
"""


def test_java_http_client_asking_for_h2c(client: FakeCdyneClient, tmp_path: Path) -> None:
    (tmp_path / "Send.java").write_text(JAVA_HTTP_CLIENT)
    status, body = run(["java", "Send.java", client.base_url, client.license_key], tmp_path).split("\n", 1)
    assert status == "200 HTTP_1_1"
    assert "<SMSError>NoError</SMSError>" in body
    client.assert_sent(to="17575449510", message="Hi from HttpClient")
    (request,) = client.requests
    assert (request.header("Upgrade"), request.header("HTTP2-Settings") is not None) == ("h2c", True)


NODE_CLIENT = """
const [base, key] = process.argv.slice(2);
const query = new URLSearchParams({PhoneNumber: "(757) 544-9510", Message: "Hi from Node \\u2713", LicenseKey: key});
const sent = await (await fetch(`${base}/SimpleSMSsend?${query}`)).text();
const id = sent.match(/<MessageID>(.*?)<\\/MessageID>/)[1];
const status = await fetch(`${base}/GetMessageStatus?MessageID=${id}`, {headers: {Accept: "application/json"}});
const body = await status.json();
console.log(JSON.stringify({
  error: sent.match(/<SMSError>(.*?)<\\/SMSError>/)[1], id, type: status.headers.get("content-type"),
  status: body.SMSError, sentFlag: body.Sent, when: body.SentDateTime,
}));
"""


def test_node_fetch(client: FakeCdyneClient, tmp_path: Path) -> None:
    (tmp_path / "client.mjs").write_text(NODE_CLIENT)
    result = json.loads(run(["node", "client.mjs", client.base_url, client.license_key], tmp_path))
    sent = client.assert_sent(to="17575449510", message="Hi from Node \u2713")
    assert (result["error"], result["id"], result["status"], result["sentFlag"]) == (
        "NoError",
        sent.message_id,
        0,
        True,
    )
    assert result["type"] == "application/json; charset=utf-8"
    assert re.fullmatch(r"/Date\(\d{13}-0[45]00\)/", result["when"])  # a real time, with US Eastern's offset


PERL_CLIENT = r"""
use strict; use warnings; use HTTP::Tiny;
my ($base, $key) = @ARGV;
my $body = qq{<SMSAdvancedRequest xmlns="http://schemas.datacontract.org/2004/07/SmsWS">}
  . qq{<LicenseKey>$key</LicenseKey><SMSRequests><SMSRequest xmlns="http://sms2.cdyne.com">}
  . qq{<AssignedDID/><Message>Perl says hi</Message><PhoneNumbers>}
  . qq{<string xmlns="http://schemas.microsoft.com/2003/10/Serialization/Arrays">7575449510</string>}
  . qq{<string xmlns="http://schemas.microsoft.com/2003/10/Serialization/Arrays">7575449511</string>}
  . qq{</PhoneNumbers><ReferenceID>perl-1</ReferenceID><ScheduledDateTime/><StatusPostBackURL/>}
  . qq{</SMSRequest></SMSRequests></SMSAdvancedRequest>};
my $headers = {"Content-Type" => "text/xml"};
my $reply = HTTP::Tiny->new->post("$base/AdvancedSMSsend", {content => $body, headers => $headers});
die "HTTP $reply->{status}: $reply->{content}" unless $reply->{success};
my @errors = $reply->{content} =~ m{<SMSError>(\w+)</SMSError>}g;
my @references = $reply->{content} =~ m{<ReferenceID>([^<]*)</ReferenceID>}g;
print join(" ", @errors), "\n", join(" ", @references), "\n";
"""


def test_perl_http_tiny_with_empty_elements(client: FakeCdyneClient, tmp_path: Path) -> None:
    (tmp_path / "client.pl").write_text(PERL_CLIENT)
    errors, references = run(["perl", "client.pl", client.base_url, client.license_key], tmp_path).splitlines()
    assert (errors, references) == ("NoError NoError", "perl-1 perl-1")
    assert [(m.to, m.reference_id, m.status_postback_url) for m in client.messages] == [
        ("17575449510", "perl-1", None),
        ("17575449511", "perl-1", None),
    ]
    assert uuid.UUID(client.messages[0].message_id)
