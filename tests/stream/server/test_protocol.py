import json

import pytest

from skillstream.stream.server.protocol import (AddStream, ProtocolError, RemoveStream, Subscribe, encode,
                                                 error_message, parse_client_message, server_message)


def parse(message, max_bytes=4096):
    return parse_client_message(json.dumps(message) if not isinstance(message, str) else message, max_bytes)


def test_subscribe_defaults_to_every_stream_and_event_topics():
    assert parse({"type": "subscribe"}) == Subscribe(None, frozenset({"skill", "segment", "status"}), None)


def test_subscribe_with_streams_topics_and_pose_rate():
    message = parse({"type": "subscribe", "streams": ["a", "b"], "topics": ["pose"], "pose_fps": 0})
    assert message == Subscribe(frozenset({"a", "b"}), frozenset({"pose"}), 0.0)


def test_star_means_every_stream():
    assert parse({"type": "subscribe", "streams": ["a", "*"]}).streams is None


def test_control_messages():
    assert parse({"type": "add_stream", "id": "r", "source": "npz:x.npz", "token": "t"}) == AddStream("r", "npz:x.npz", "t")
    assert parse({"type": "remove_stream", "id": "r"}) == RemoveStream("r", "")


@pytest.mark.parametrize("data, code, words", [
    ("{not json", "bad_json", "not JSON"),
    ("[1, 2]", "bad_message", "JSON object"),
    ('{"type": "dance"}', "unknown_type", "'dance'"),
    ('{"kind": "subscribe"}', "unknown_type", "None"),
    ('{"type": "subscribe", "topics": ["skills"]}', "bad_message", "subscribe.topics: unknown topic 'skills'"),
    ('{"type": "subscribe", "streams": "a"}', "bad_message", "subscribe.streams"),
    ('{"type": "subscribe", "pose_fps": -1}', "bad_message", "subscribe.pose_fps"),
    ('{"type": "subscribe", "pose_fps": true}', "bad_message", "subscribe.pose_fps"),
    ('{"type": "subscribe", "colour": "red"}', "bad_message", "subscribe.colour: unknown field"),
    ('{"type": "add_stream", "id": "r"}', "bad_message", "add_stream.source"),
    ('{"type": "remove_stream", "id": "", "token": "t"}', "bad_message", "remove_stream.id"),
    ('{"type": "remove_stream", "id": "r", "token": 5}', "bad_message", "remove_stream.token"),
    ('{"type": "webrtc_offer", "id": "r", "sdp": "v=0", "video": 1}', "bad_message",
     "webrtc_offer.video: unknown field (known: type, id, sdp, token)"),
])
def test_bad_messages_name_the_problem(data, code, words):
    with pytest.raises(ProtocolError) as caught:
        parse(data)
    assert caught.value.code == code
    assert words in caught.value.message


def test_oversized_message_is_refused_before_parsing():
    with pytest.raises(ProtocolError) as caught:
        parse_client_message('{"type": "subscribe", "streams": ["' + "a" * 100 + '"]}', 64)
    assert caught.value.code == "too_large"
    assert "64" in caught.value.message


def test_server_messages_carry_type_stream_and_time():
    message = server_message("skill", "beam", label="split_leap")
    assert message["type"] == "skill" and message["stream"] == "beam" and message["label"] == "split_leap"
    assert isinstance(message["server_time"], float)
    assert json.loads(encode(error_message("bad_json", "x"))) | {"server_time": 0} == {
        "type": "error", "stream": None, "server_time": 0, "code": "bad_json", "message": "x"}


def test_pose_messages_round_keypoints_for_the_wire():
    import numpy as np

    from skillstream.stream.server.protocol import encode_pose

    keypoints = np.zeros((25, 3), np.float32)
    keypoints[0] = (123.456, 7.04, 0.98765)
    keypoints[24] = (-0.04, 1919.96, 1.0)
    message = json.loads(encode_pose('cam "1"', 12, 0.4, keypoints))
    assert message["type"] == "pose" and message["stream"] == 'cam "1"' and isinstance(message["server_time"], float)
    assert (message["frame"], message["ts"]) == (12, 0.4)
    assert len(message["keypoints"]) == 25 and message["keypoints"][1] == [0.0, 0.0, 0.0]
    assert message["keypoints"][0] == [123.5, 7.0, 0.988]
    assert message["keypoints"][24] == [-0.0, 1920.0, 1.0]
