from tests.web.conftest import html_client


def test_it_renders_the_frame_in_english_for_an_english_reader(db):
    html = html_client().get("/").content.decode()
    assert 'lang="en"' in html
