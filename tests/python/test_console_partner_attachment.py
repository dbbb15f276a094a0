"""The seed "How to Create a Partner Attachment", control-panel half, clicked through in
Chromium: Multi-cloud Integrations → Create Partner Attachment (region, that region's VPCs,
bandwidth plan with the cost summary, BGP defaults, name) → "Your partner attachment is ready"
→ Continue (service key, copy, BGP details) → the Megaport portal in the same browser
(Create MCR, + Connection with the key and the BGP details) → the attachment Established; the Settings tab breaks and mends BGP, and the
status says why in words meanwhile."""

import re

from playwright.sync_api import expect

from console_support import PHONE, check_a11y, check_focus_order, create_vpc, sign_in_digitalocean
from test_console_megaport import mcr_and_vxc_in_the_portal
from support import new_token

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def test_create_partner_attachment_in_the_control_panel(console, server):
    page = console
    sign_in_digitalocean(page, new_token())
    create_vpc(page, "apps-nyc", "nyc1")
    create_vpc(page, "edge-sfo", "sfo3")

    page.get_by_role("link", name="Multi-cloud Integrations", exact=True).click()
    page.get_by_role("link", name="Create Partner Attachment").click()
    expect(page.get_by_role("heading", name="Create Partner Attachment")).to_be_visible()
    # The VPC list follows the region: New York's VPCs only, then San Francisco's.
    vpcs = page.locator("#vpc-choices")
    expect(vpcs).to_contain_text("apps-nyc")
    expect(vpcs).not_to_contain_text("edge-sfo")
    page.get_by_label("San Francisco (SFO)").check()
    expect(vpcs).to_contain_text("edge-sfo")
    expect(vpcs).not_to_contain_text("apps-nyc")
    page.get_by_label("New York (NYC)").check()
    expect(vpcs).to_contain_text("apps-nyc")
    # BGP comes prefilled with usable defaults.
    auth = page.get_by_label("BGP authentication key")
    assert len(auth.input_value()) >= 16
    expect(page.get_by_label("Peer ASN")).to_have_value("133937")
    expect(page.get_by_label("Local router IP")).to_have_value("169.254.0.1/29")
    expect(page.get_by_label("Peer router IP")).to_have_value("169.254.0.6/29")
    # The cost summary follows the plan.
    summary = page.locator("#cost")
    expect(summary).to_contain_text("1 Gbps")
    page.get_by_label("2 Gbps").check()
    expect(summary).to_contain_text("2 Gbps")
    expect(summary).to_contain_text("$450")
    page.get_by_label("Name").fill("seed-attachment")
    page.steps.shot("create-form")
    check_a11y(page, "Create Partner Attachment")
    check_focus_order(page, "Create Partner Attachment", presses=60)

    # No VPC chosen: the form says so beside the VPC list; a bad router IP beside its field.
    page.get_by_label("Peer router IP").fill("169.254.0.9/29")
    page.get_by_role("button", name="Create partner attachment").click()
    expect(page.locator("#vpc_ids-error")).to_contain_text("at least one VPC")
    page.get_by_label("apps-nyc").check()
    page.get_by_role("button", name="Create partner attachment").click()
    expect(page.locator(".error:not(:empty)")).to_contain_text(re.compile("same /29|peer_router_ip"))
    page.steps.shot("bgp-refused")
    page.get_by_label("Peer router IP").fill("169.254.0.6/29")
    page.get_by_role("button", name="Create partner attachment").click()

    # The details page: ready, then Continue for the key and BGP details.
    expect(page.get_by_role("heading", name="Your partner attachment is ready")).to_be_visible()
    page.steps.shot("ready")
    page.get_by_role("link", name="Continue").click()
    key = page.locator("#service-key")
    expect(key).to_have_text(UUID)
    page.get_by_role("button", name="Copy").first.click()
    expect(page.locator("#service-key-copied")).to_have_text(re.compile("Copied|Selected"))
    auth_key = page.locator("#bgp-auth-key").inner_text().strip()
    expect(page.locator("#setup")).to_contain_text("169.254.0.1/29")
    expect(page.locator("#setup")).to_contain_text("64532")
    status = page.locator("#connection-status")
    expect(status).to_contain_text("Not established")
    expect(status).to_contain_text("No VXC uses this attachment's service key yet")
    page.steps.shot("service-key-and-bgp")
    check_a11y(page, "partner attachment details")
    check_focus_order(page, "partner attachment details")

    # Megaport, in another tab of the same browser: an MCR, then + Connection with the key and
    # the BGP details. This tab is left alone and must turn Established by itself.
    portal = page.context.new_page()
    portal.set_default_timeout(15_000)
    portal.steps = page.steps
    bgp = {"local_router_ip": "169.254.0.1/29", "peer_router_ip": "169.254.0.6/29"}
    mcr_and_vxc_in_the_portal(portal, key.inner_text().strip(), auth_key, bgp)
    portal.close()
    expect(page.locator("#connection-word")).to_have_text("Established", timeout=30_000)
    page.reload()
    expect(page.get_by_text(re.compile("DigitalOcean team:"))).to_be_visible()
    expect(page.get_by_text(re.compile("Megaport company:"))).to_be_visible()
    page.steps.shot("established")

    # Settings: a wrong peer ASN drops the session, and the status says why in words.
    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Peer ASN").fill("64999")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()
    page.steps.shot("settings-saved")
    check_a11y(page, "partner attachment settings")
    page.get_by_role("link", name="Overview").click()
    expect(page.locator("#connection-said")).to_contain_text("ASN mismatch", timeout=30_000)
    expect(page.locator("#connection-said")).to_contain_text("64999")
    page.steps.shot("asn-mismatch-diagnosis")
    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Peer ASN").fill("133937")
    page.get_by_role("button", name="Save settings").click()
    page.get_by_role("link", name="Overview").click()
    expect(page.locator("#connection-word")).to_have_text("Established", timeout=30_000)

    # The list and phone width.
    page.get_by_role("link", name="Multi-cloud Integrations", exact=True).click()
    row = page.locator("#attachments tbody tr").filter(has_text="seed-attachment")
    expect(row).to_contain_text("ACTIVE")
    expect(row).to_contain_text("Established")
    page.set_viewport_size(PHONE)
    row.get_by_role("link", name="seed-attachment").click()
    expect(page.locator("#connection-word")).to_have_text("Established")
    assert not page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth + 1")
    page.steps.shot("phone-width")
