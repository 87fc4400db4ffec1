import type { Logger } from '../../log.js';
import { parseShadowTopic, type ShadowService } from '../shadow.js';
import type { AcceptedPublish } from './events.js';

/**
 * Device shadows over MQTT (https://docs.aws.amazon.com/iot/latest/developerguide/device-shadow-mqtt.html):
 * a client's PUBLISH on $aws/things/<thing>/shadow[/name/<shadow>]/(update|get|delete) goes to the
 * shadow service, whose answers the broker publishes as AWS IoT's own messages.
 */
export function shadowListener(shadows: ShadowService, publish: (topic: string, payload: Buffer) => Promise<void>, log: Logger): (msg: AcceptedPublish) => void {
  return (msg) => {
    if (!msg.client || !msg.topic.startsWith('$aws/things/')) return;
    const req = parseShadowTopic(msg.topic);
    if (!req) return;
    for (const answer of shadows.handle(req, msg.payload)) {
      publish(answer.topic, Buffer.from(JSON.stringify(answer.payload))).catch((err: Error) => {
        log.warn({ topic: answer.topic, err: err.message }, 'could not publish a shadow response');
      });
    }
  };
}
