// A minimal live log list on top of useSeanoLogs.
import { useSeanoLogs, type SeanoLog } from './useSeanoLogs.js';

const STATUS_TEXT = { connecting: 'Connecting…', connected: 'Live', reconnecting: 'Reconnecting…', stopped: 'Disconnected' } as const;

function details(log: SeanoLog): string {
  switch (log.__typename) {
    case 'VehicleLog':
      return `battery ${log.batteryVoltage ?? '–'} V · mode ${log.mode ?? '–'}`;
    case 'SensorLog':
      return `sensor ${log.sensorId}`;
    case 'RawLog':
      return log.message;
  }
}

export function App({ url = 'ws://localhost:8000/graphql', vehicleId }: { url?: string; vehicleId?: number }) {
  const { status, logs } = useSeanoLogs({ url, vehicleId });

  return (
    <div>
      <h2>SEANO live logs {vehicleId !== undefined ? `(vessel ${vehicleId})` : ''}</h2>
      <p>{STATUS_TEXT[status]}</p>
      <ul>
        {logs.map((log) => (
          <li key={log.id}>
            <strong>Vehicle {log.vehicleId}</strong> {log.type}{' '}
            <time dateTime={log.timestamp}>{new Date(log.timestamp).toLocaleTimeString()}</time> {details(log)}
          </li>
        ))}
      </ul>
    </div>
  );
}

export default App;
