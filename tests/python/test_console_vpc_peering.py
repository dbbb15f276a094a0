"""The seed "How to Create a VPC Peering", control-panel half, clicked through in Chromium:
Networking → VPC, Actions → Create a Peering Connection, two VPC pickers that match as you
type, the generated name, then the Connections column and a VPC's Peering Connections tab."""

import re

from playwright.sync_api import expect

from console_support import PHONE, check_a11y, check_focus_order, create_vpc, sign_in_digitalocean
from support import new_token


def vpc_row(page, name: str):
    return page.locator("#vpc-table tbody tr").filter(has=page.get_by_role("link", name=name, exact=True))


def test_create_vpc_peering_in_the_control_panel(console):
    page = console
    sign_in_digitalocean(page, new_token())
    expect(page.get_by_role("heading", name="VPC networks")).to_be_visible()
    expect(page.get_by_text(re.compile("DigitalOcean team:"))).to_be_visible()
    page.steps.shot("vpc-networks-empty")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="VPC").click()
    create_vpc(page, "web-nyc", "nyc3")
    create_vpc(page, "db-sfo", "sfo3")
    expect(vpc_row(page, "web-nyc")).to_have_count(1)
    expect(vpc_row(page, "db-sfo")).to_contain_text("None")
    page.steps.shot("two-vpcs")
    check_a11y(page, "VPC networks")
    check_focus_order(page, "VPC networks")

    # Actions → Create a Peering Connection: the window with two pickers and a name.
    page.get_by_text("Actions", exact=True).click()
    page.get_by_role("link", name="Create a Peering Connection").click()
    expect(page.get_by_role("heading", name="Create VPC Peering")).to_be_visible()
    first = page.get_by_label("VPC network", exact=True)
    second = page.get_by_label("VPC network to peer with")
    # The pickers match as you type: both offer the team's VPCs by name.
    assert first.get_attribute("list") == "vpc-options" and second.get_attribute("list") == "vpc-options"
    options = page.locator("#vpc-options option")
    expect(options).to_have_count(2)
    assert sorted(options.evaluate_all("os => os.map(o => o.value)")) == ["db-sfo", "web-nyc"]
    name = page.get_by_label("Name")
    generated = name.input_value()
    assert re.fullmatch(r"vpc-peering-[0-9a-f]{8}", generated), generated
    check_a11y(page, "Create VPC Peering")
    check_focus_order(page, "Create VPC Peering")

    # A name the API refuses comes back beside the name field, in DigitalOcean's words.
    first.fill("web-nyc")
    second.fill("db-sfo")
    name.fill("bad name!")
    page.get_by_role("button", name="Create peering connection").click()
    expect(page.locator("#name-error")).not_to_be_empty()
    expect(page.get_by_label("Name")).to_have_attribute("aria-invalid", "true")
    page.steps.shot("name-refused")

    page.get_by_label("Name").fill(generated)
    page.steps.shot("create-peering-window")
    page.get_by_role("button", name="Create peering connection").click()

    # The Connections column lists the peering on both VPCs, ACTIVE.
    web = vpc_row(page, "web-nyc")
    expect(web).to_contain_text(f"{generated} → db-sfo")
    expect(web).to_contain_text("ACTIVE")
    expect(vpc_row(page, "db-sfo")).to_contain_text(f"{generated} → web-nyc")
    page.steps.shot("connections-column")

    # A VPC's details page: the Peering Connections tab and its own create button.
    page.get_by_role("link", name="web-nyc").click()
    page.get_by_role("link", name="Peering Connections").click()
    table = page.locator("#peerings")
    expect(table).to_contain_text(generated)
    expect(table).to_contain_text("db-sfo")
    page.steps.shot("peering-connections-tab")
    check_a11y(page, "a VPC's Peering Connections tab")
    page.get_by_role("link", name="Create a Peering Connection").click()
    expect(page.get_by_label("VPC network", exact=True)).to_have_value("web-nyc")
    # Peering the same two again is refused by the API, next to the second picker.
    page.get_by_label("VPC network to peer with").fill("db-sfo")
    page.get_by_role("button", name="Create peering connection").click()
    expect(page.locator("#second-error, .error[role=alert]").filter(has_text=re.compile(r"\S"))).not_to_have_count(0)
    page.steps.shot("duplicate-refused")

    # Phone width: the same page works without sideways scrolling of the page itself.
    page.set_viewport_size(PHONE)
    page.goto("/networking/vpc")
    expect(page.locator("#vpc-table")).to_contain_text(generated)
    wide = page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth + 1")
    assert not wide, "the VPC page scrolls sideways at phone width"
    page.steps.shot("phone-width")
