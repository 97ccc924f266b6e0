import json

from skillstream.config import load_config
from skillstream.stream.server.hub import Hub
from skillstream.stream.server.pipeline import StreamPipeline
from skillstream.stream.server.protocol import server_message


def test_history_keeps_the_newest_events_and_counts_their_characters():
    config = load_config(overrides={"clients.history_events": 2})
    pipeline = StreamPipeline("s", source=None, config=config, hub=Hub(), classifier=None, pose=None)
    for n in (1, 22, 333, 4444):
        pipeline._publish_now(server_message("skill", "s", n=n))
    assert [json.loads(text)["n"] for _, text in pipeline.history] == [333, 4444]
    assert pipeline.history_chars == sum(len(text) for _, text in pipeline.history)
